package dev.ferry.vm.block.qcow2;

import dev.ferry.vm.block.internal.PosixFile;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The most recently used cluster-sized metadata tables (L2 tables or refcount blocks) by host
 * offset. Changes are written through by the owner, so eviction never writes.
 */
final class TableCache {

    private final PosixFile file;
    private final int clusterSize;
    private final Map<Long, MemorySegment> tables;

    TableCache(PosixFile file, int clusterSize, int capacity) {
        this.file = file;
        this.clusterSize = clusterSize;
        this.tables = new LinkedHashMap<>(capacity * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Long, MemorySegment> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The table at {@code hostOffset}, read from the file if it is not cached. */
    synchronized MemorySegment get(long hostOffset) throws IOException {
        MemorySegment table = tables.get(hostOffset);
        if (table == null) {
            table = Arena.ofAuto().allocate(clusterSize, 8);
            file.read(hostOffset, table);
            tables.put(hostOffset, table);
        }
        return table;
    }

    /** Caches a table just written at {@code hostOffset}. */
    synchronized void put(long hostOffset, MemorySegment table) {
        tables.put(hostOffset, table);
    }

    synchronized void remove(long hostOffset) {
        tables.remove(hostOffset);
    }
}
