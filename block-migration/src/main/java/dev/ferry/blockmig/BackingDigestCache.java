package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backing identities per version of their files: the key is every file of the backing chain with
 * its size, modification time and inode, so a file written since (even one byte, which moves
 * its mtime) or replaced (a new inode) is hashed again. The config check and the disk's START
 * ask for the same identity, and it is read once.
 */
final class BackingDigestCache {

    static final BackingDigestCache SHARED = new BackingDigestCache();
    private static final Logger LOG = LoggerFactory.getLogger(BackingDigestCache.class);

    /** One file of a backing chain as the file system describes it now. */
    private record FileVersion(String path, long size, long mtimeNanos, Object inode) {
    }

    private final Map<List<FileVersion>, BackingIdentity> identities = new ConcurrentHashMap<>();

    BackingIdentity identity(BlockDevice backing) throws IOException {
        List<FileVersion> key = versions(backing);
        BackingIdentity known = identities.get(key);
        if (known != null) {
            return known;
        }
        long started = System.nanoTime();
        BackingIdentity computed = BackingIdentity.compute(backing);
        LOG.info("backing file {}: {} bytes hashed in {} ms", backing.path(), computed.size(),
                (System.nanoTime() - started) / 1_000_000);
        if (key.equals(versions(backing))) {
            identities.put(key, computed);
        }
        return computed;
    }

    private static List<FileVersion> versions(BlockDevice device) throws IOException {
        List<FileVersion> chain = new ArrayList<>();
        for (Optional<BlockDevice> layer = Optional.of(device); layer.isPresent(); layer = layer.get().backing()) {
            BasicFileAttributes attributes = Files.readAttributes(layer.get().path(), BasicFileAttributes.class);
            chain.add(new FileVersion(layer.get().path().toRealPath().toString(), attributes.size(),
                    attributes.lastModifiedTime().toInstant().getEpochSecond() * 1_000_000_000L
                            + attributes.lastModifiedTime().toInstant().getNano(),
                    Objects.requireNonNullElse(attributes.fileKey(), "")));
        }
        return List.copyOf(chain);
    }
}
