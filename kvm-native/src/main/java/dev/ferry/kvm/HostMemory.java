package dev.ferry.kvm;

import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A page-aligned shared mapping of host memory for guest RAM: anonymous, or backed by a memfd
 * another process can map too. MAP_NORESERVE, so untouched pages cost nothing. Unmapped (and the
 * memfd closed) by {@link #close()}; the segment must not be used afterwards.
 *
 * <p>A memfd also tells which pages were never touched ({@link #nextData}, {@link #nextHole}): they
 * read as zero, and reading one would make the kernel allocate and clear a page for it. And it
 * takes whole pages without that clearing ({@link #write}).
 */
public final class HostMemory implements AutoCloseable {

    /** The page size KVM's slots and dirty log count in. */
    public static final long PAGE_SIZE = 4096;

    private static final Logger LOG = LoggerFactory.getLogger(HostMemory.class);

    private final MemorySegment segment;
    private final int memfd;
    private boolean closed;

    private HostMemory(MemorySegment segment, int memfd) {
        this.segment = segment;
        this.memfd = memfd;
    }

    /**
     * {@code size} bytes of zeroed anonymous shared memory; {@code hugePages} asks for THP (advice only).
     *
     * @param size bytes, a whole number of pages
     * @param hugePages whether to advise transparent huge pages
     * @return the memory; close it to unmap
     */
    public static HostMemory anonymous(long size, boolean hugePages) {
        checkSize(size);
        HostMemory memory = new HostMemory(map(size, LibC.MAP_SHARED | LibC.MAP_ANONYMOUS | LibC.MAP_NORESERVE, -1), -1);
        if (hugePages) {
            memory.adviseHugePages();
        }
        return memory;
    }

    /**
     * {@code size} bytes in a new memfd named {@code name}, mapped shared: another process can map
     * the fd; {@code hugePages} asks for THP (advice only).
     *
     * @param name the memfd's name, as /proc shows it
     * @param size bytes, a whole number of pages
     * @param hugePages whether to advise transparent huge pages
     * @return the memory; close it to unmap and close the fd
     */
    public static HostMemory memfd(String name, long size, boolean hugePages) {
        checkSize(size);
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = Sys.check(LibC.memfdCreate(arena.allocateFrom(name), LibC.MFD_CLOEXEC), "memfd_create(" + name + ")");
        }
        try {
            Sys.check(LibC.ftruncate(fd, size), "ftruncate(memfd " + name + ", " + size + ")");
            HostMemory memory = new HostMemory(map(size, LibC.MAP_SHARED | LibC.MAP_NORESERVE, fd), fd);
            if (hugePages) {
                memory.adviseHugePages();
            }
            return memory;
        } catch (RuntimeException e) {
            LibC.close(fd);
            throw e;
        }
    }

    private static void checkSize(long size) {
        if (size <= 0 || size % PAGE_SIZE != 0) {
            throw new IllegalArgumentException("host memory size must be a positive multiple of 4096, got " + size);
        }
    }

    @SuppressWarnings("restricted")
    private static MemorySegment map(long size, int flags, int fd) {
        MemorySegment address = LibC.mmap(MemorySegment.NULL, size, LibC.PROT_READ | LibC.PROT_WRITE, flags, fd, 0);
        if (address.address() == LibC.MAP_FAILED) {
            throw new KvmException("mmap(" + size + " bytes)", LibC.errno());
        }
        return address.reinterpret(size);
    }

    private void adviseHugePages() {
        // Advice only: kernels without THP refuse it, and the memory works the same.
        if (LibC.madvise(segment, segment.byteSize(), LibC.MADV_HUGEPAGE) < 0) {
            LOG.debug("madvise(MADV_HUGEPAGE) refused: errno {}", LibC.errno());
        }
    }

    /**
     * The mapped bytes.
     *
     * @return the mapping, valid until close
     */
    public MemorySegment segment() {
        return segment;
    }

    /**
     * Bytes mapped.
     *
     * @return bytes
     */
    public long size() {
        return segment.byteSize();
    }

    /**
     * The memfd behind the mapping, if any.
     *
     * @return the fd, or empty for anonymous memory
     */
    public OptionalInt fd() {
        return memfd < 0 ? OptionalInt.empty() : OptionalInt.of(memfd);
    }

    /**
     * The first offset at or after {@code offset} that may hold data: every byte before it reads as
     * zero without anything having been written there. Exact for a memfd (tmpfs counts a page it
     * holds as data, in memory or swapped out; a hole is a page never allocated); anonymous memory
     * cannot be asked, so its answer is {@code offset}.
     *
     * @param offset bytes from the start, below {@link #size()}
     * @return an offset in [offset, size()]; size() if nothing from offset on holds data
     */
    public long nextData(long offset) {
        if (memfd < 0) {
            return offset;
        }
        long data = LibC.lseek(memfd, offset, LibC.SEEK_DATA);
        if (data < 0) {
            int errno = LibC.errno();
            if (errno == LibC.ENXIO) {
                return size();
            }
            throw new KvmException("lseek(memfd, " + offset + ", SEEK_DATA)", errno);
        }
        return data;
    }

    /**
     * The first offset at or after {@code offset} in a hole (see {@link #nextData}), or
     * {@link #size()}; anonymous memory cannot be asked, so its answer is {@link #size()}.
     *
     * @param offset bytes from the start, below {@link #size()}
     * @return an offset in [offset, size()]
     */
    public long nextHole(long offset) {
        if (memfd < 0) {
            return size();
        }
        long hole = LibC.lseek(memfd, offset, LibC.SEEK_HOLE);
        if (hole < 0) {
            throw new KvmException("lseek(memfd, " + offset + ", SEEK_HOLE)", LibC.errno());
        }
        return Math.min(hole, size());
    }

    /**
     * Writes {@code bytes} at {@code offset}. Into a memfd through the fd: a page the write
     * allocates is filled by it, where a store through the mapping first takes a page fault in
     * which the kernel clears the page (in a nested VM, fault and clearing took a quarter of a
     * migration destination's loading). Anonymous memory is written through the mapping.
     *
     * @param offset bytes from the start
     * @param bytes what to write; {@code offset + bytes.byteSize()} must not pass {@link #size()}
     * @throws IndexOutOfBoundsException if the range is not inside the memory
     * @throws KvmException if the write fails
     */
    public void write(long offset, MemorySegment bytes) {
        long length = bytes.byteSize();
        Objects.checkFromIndexSize(offset, length, size());
        if (memfd < 0) {
            MemorySegment.copy(bytes, 0, segment, offset, length);
            return;
        }
        for (long done = 0; done < length; ) {
            long written = LibC.pwrite(memfd, bytes.asSlice(done), length - done, offset + done);
            if (written < 0) {
                int errno = LibC.errno();
                if (errno != LibC.EINTR) {
                    throw new KvmException("pwrite(memfd, " + (length - done) + " bytes at " + (offset + done) + ")", errno);
                }
            } else {
                done += written;
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        Sys.check(LibC.munmap(segment, segment.byteSize()), "munmap");
        if (memfd >= 0) {
            Sys.close(memfd, "memfd");
        }
    }
}
