package dev.ferry.vm.block.internal;

import dev.ferry.vm.block.ImageException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;

/**
 * An image file opened through libc, so reads and writes go straight between the file and the
 * caller's off-heap segment (pread/pwrite), holes are found with SEEK_DATA/SEEK_HOLE and punched
 * with fallocate. Unlike a FileChannel, a thread interrupt never closes it under the other user.
 */
@SuppressWarnings("restricted")
public final class PosixFile implements AutoCloseable {

    private static final int O_RDONLY = 0;
    private static final int O_RDWR = 2;
    private static final int O_CREAT = 0100;
    private static final int O_EXCL = 0200;
    private static final int O_CLOEXEC = 02000000;
    private static final int SEEK_END = 2;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;
    private static final int FALLOC_FL_ZERO_RANGE = 0x10;
    private static final int EINTR = 4;
    private static final int ENXIO = 6;
    private static final int EOPNOTSUPP = 95;
    /** Bounce buffer size for heap segments, which a downcall cannot address directly. */
    private static final int BOUNCE = 1 << 20;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN = libc("open",
            FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT),
            Linker.Option.firstVariadicArg(2));
    private static final MethodHandle PREAD = libc("pread", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle PWRITE = libc("pwrite", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle LSEEK = libc("lseek", FunctionDescriptor.of(ValueLayout.JAVA_LONG,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
    private static final MethodHandle FALLOCATE = libc("fallocate", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
    private static final MethodHandle FTRUNCATE = libc("ftruncate", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
    private static final MethodHandle FDATASYNC = libc("fdatasync", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    private static final MethodHandle CLOSE = libc("close", FunctionDescriptor.of(ValueLayout.JAVA_INT,
            ValueLayout.JAVA_INT));
    private static final MethodHandle STRERROR = LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(MemoryLayout.sequenceLayout(256, ValueLayout.JAVA_BYTE)),
                    ValueLayout.JAVA_INT));
    private static final ThreadLocal<MemorySegment> CALL_STATE_BUFFER =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CALL_STATE));

    private final Path path;
    private final boolean readOnly;
    private volatile int fd;

    private PosixFile(Path path, int fd, boolean readOnly) {
        this.path = path;
        this.fd = fd;
        this.readOnly = readOnly;
    }

    /** Opens an existing file. */
    public static PosixFile open(Path path, boolean readOnly) throws ImageException {
        return openWith(path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC, readOnly);
    }

    /** Creates a new, empty file; fails if it exists. */
    public static PosixFile create(Path path) throws ImageException {
        return openWith(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, false);
    }

    private static PosixFile openWith(Path path, int flags, boolean readOnly) throws ImageException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = CALL_STATE_BUFFER.get();
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path.toString()), flags, 0644);
            if (fd < 0) {
                throw new ImageException(path, "cannot open: " + describe(errno(state)));
            }
            return new PosixFile(path, fd, readOnly);
        } catch (ImageException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public Path path() {
        return path;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** The file's length in bytes. */
    public long length() throws IOException {
        return check("lseek", lseek(0, SEEK_END));
    }

    /** Fills {@code dst} from {@code offset}; bytes past the end of the file read as zeroes. */
    public void read(long offset, MemorySegment dst) throws IOException {
        transferAll(PREAD, offset, dst);
    }

    /** Writes all of {@code src} at {@code offset}. */
    public void write(long offset, MemorySegment src) throws IOException {
        transferAll(PWRITE, offset, src);
    }

    /** Loops pread or pwrite over short transfers; a read that meets the end of the file zero-fills the rest. */
    private void transferAll(MethodHandle call, long offset, MemorySegment buffer) throws IOException {
        boolean write = call == PWRITE;
        if (!buffer.isNative()) {
            bounce(offset, buffer, write);
            return;
        }
        long done = 0;
        while (done < buffer.byteSize()) {
            long n = transfer(call, write ? "write" : "read", buffer.asSlice(done), offset + done);
            if (n == 0) {
                if (write) {
                    throw new ImageException(path, "write at offset " + (offset + done) + " made no progress");
                }
                buffer.asSlice(done).fill((byte) 0);
                return;
            }
            done += n;
        }
    }

    private void bounce(long offset, MemorySegment heap, boolean write) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(Math.min(BOUNCE, heap.byteSize()), 4096);
            for (long done = 0; done < heap.byteSize(); done += buffer.byteSize()) {
                MemorySegment part = buffer.asSlice(0, Math.min(buffer.byteSize(), heap.byteSize() - done));
                if (write) {
                    MemorySegment.copy(heap, done, part, 0, part.byteSize());
                    write(offset + done, part);
                } else {
                    read(offset + done, part);
                    MemorySegment.copy(part, 0, heap, done, part.byteSize());
                }
            }
        }
    }

    private long transfer(MethodHandle call, String what, MemorySegment buffer, long offset) throws IOException {
        try {
            MemorySegment state = CALL_STATE_BUFFER.get();
            while (true) {
                long n = (long) call.invokeExact(state, openFd(), buffer, buffer.byteSize(), offset);
                if (n >= 0) {
                    return n;
                }
                int errno = errno(state);
                if (errno != EINTR) {
                    throw failure(what + " of " + buffer.byteSize() + " bytes at offset " + offset, errno);
                }
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * The first offset at or after {@code offset} that holds data, or -1 when only a hole
     * follows (SEEK_DATA).
     */
    public long nextData(long offset) throws IOException {
        return seekRegion(offset, SEEK_DATA);
    }

    /** The first offset at or after {@code offset} in a hole; the end of file counts as one (SEEK_HOLE). */
    public long nextHole(long offset) throws IOException {
        return seekRegion(offset, SEEK_HOLE);
    }

    private long seekRegion(long offset, int whence) throws IOException {
        long result = lseek(offset, whence);
        if (result < 0) {
            int errno = (int) -result;
            if (errno == ENXIO) {
                return -1;
            }
            throw failure("lseek(" + (whence == SEEK_DATA ? "SEEK_DATA" : "SEEK_HOLE") + ", " + offset + ")", errno);
        }
        return result;
    }

    /** lseek returning the offset, or minus errno. */
    private long lseek(long offset, int whence) throws ImageException {
        int descriptor = openFd();
        try {
            MemorySegment state = CALL_STATE_BUFFER.get();
            long result = (long) LSEEK.invokeExact(state, descriptor, offset, whence);
            return result < 0 ? -errno(state) : result;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /**
     * Makes the range read as zeroes: with {@code release} the blocks are given back to the
     * file system (a hole), otherwise they stay allocated. Falls back to writing zeroes where
     * the file system cannot do either.
     */
    public void zero(long offset, long length, boolean release) throws IOException {
        int mode = release ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
        int errno = fallocate(mode, offset, length);
        if (errno == 0) {
            return;
        }
        if (errno != EOPNOTSUPP) {
            throw failure("fallocate of " + length + " bytes at offset " + offset, errno);
        }
        writeZeroes(offset, length);
    }

    private void writeZeroes(long offset, long length) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment zeroes = arena.allocate(Math.min(length, BOUNCE), 4096);
            for (long done = 0; done < length; done += zeroes.byteSize()) {
                write(offset + done, zeroes.asSlice(0, Math.min(zeroes.byteSize(), length - done)));
            }
        }
    }

    private int fallocate(int mode, long offset, long length) throws ImageException {
        int descriptor = openFd();
        try {
            MemorySegment state = CALL_STATE_BUFFER.get();
            int result;
            do {
                result = (int) FALLOCATE.invokeExact(state, descriptor, mode, offset, length);
            } while (result < 0 && errno(state) == EINTR);
            return result < 0 ? errno(state) : 0;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    public void truncate(long length) throws IOException {
        simple(FTRUNCATE, "truncate to " + length, length);
    }

    /** Makes written data and the metadata needed to read it back durable. */
    public void sync() throws IOException {
        simple(FDATASYNC, "fdatasync", null);
    }

    private void simple(MethodHandle call, String what, Long argument) throws IOException {
        try {
            MemorySegment state = CALL_STATE_BUFFER.get();
            int result = argument == null
                    ? (int) call.invokeExact(state, openFd())
                    : (int) call.invokeExact(state, openFd(), (long) argument);
            if (result < 0) {
                throw failure(what, errno(state));
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    /** Whether {@link #close} ran; closing again does nothing. */
    public boolean isClosed() {
        return fd < 0;
    }

    /** The descriptor, or a clear error for a file used after close (instead of EBADF, or another file's fd). */
    private int openFd() throws ImageException {
        int current = fd;
        if (current < 0) {
            throw new ImageException(path, "used after it was closed");
        }
        return current;
    }

    @Override
    public synchronized void close() throws IOException {
        if (fd < 0) {
            return;
        }
        int closing = fd;
        fd = -1;
        try {
            MemorySegment state = CALL_STATE_BUFFER.get();
            if ((int) CLOSE.invokeExact(state, closing) < 0) {
                throw failure("close", errno(state));
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new AssertionError(t);
        }
    }

    private long check(String what, long result) throws IOException {
        if (result < 0) {
            throw failure(what, (int) -result);
        }
        return result;
    }

    private ImageException failure(String what, int errno) {
        return new ImageException(path, what + " failed: " + describe(errno));
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    private static String describe(int errno) {
        try {
            MemorySegment text = (MemorySegment) STRERROR.invokeExact(errno);
            return text.getString(0) + " (errno " + errno + ")";
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static MethodHandle libc(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = Linker.Option.captureCallState("errno");
        System.arraycopy(options, 0, all, 1, options.length);
        SymbolLookup libc = LINKER.defaultLookup();
        return LINKER.downcallHandle(libc.find(name).orElseThrow(), descriptor, all);
    }
}
