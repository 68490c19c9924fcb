package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The parts of the module that need no KVM: libc wrappers, errors, the kick signal. */
class NativeCallsTest {

    @Test
    void openingAMissingDeviceNamesTheFix() {
        KvmException e = assertThrows(KvmException.class, () -> Kvm.open(Path.of("/nonexistent/kvm")));
        assertEquals("open(/nonexistent/kvm) failed: ENOENT (No such file or directory): this host has no KVM; "
                + "load kvm_intel, kvm_amd or kvm_pvm, or run on a host with /nonexistent/kvm", e.getMessage());
        assertEquals(2, e.errno());
    }

    @Test
    void exceptionNamesTheIoctlErrnoAndMeaning() {
        KvmException e = new KvmException("KVM_SET_SREGS", 22);
        assertEquals("KVM_SET_SREGS failed: EINVAL (Invalid argument)", e.getMessage());
        assertEquals("KVM_SET_SREGS", e.operation());
    }

    @Test
    void memfdMemoryIsSharedThroughItsFd() throws Exception {
        try (HostMemory memory = HostMemory.memfd("ferry-test", 2 * HostMemory.PAGE_SIZE, false)) {
            memory.segment().set(JAVA_LONG, HostMemory.PAGE_SIZE, 0x0102_0304_0506_0708L);
            int fd = memory.fd().orElseThrow();
            try (FileChannel other = FileChannel.open(Path.of("/proc/self/fd/" + fd))) {
                ByteBuffer read = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
                other.read(read, HostMemory.PAGE_SIZE);
                assertEquals(0x0102_0304_0506_0708L, read.flip().getLong());
                assertEquals(2 * HostMemory.PAGE_SIZE, other.size());
            }
        }
    }

    @Test
    void memfdTellsTheUntouchedPagesApart() {
        long page = HostMemory.PAGE_SIZE;
        try (HostMemory memory = HostMemory.memfd("ferry-test", 8 * page, false)) {
            assertEquals(8 * page, memory.nextData(0), "nothing touched yet");
            memory.segment().set(JAVA_LONG, 2 * page + 8, 1);
            memory.segment().get(JAVA_LONG, 3 * page); // a read allocates the page too: data, though zero
            memory.segment().set(JAVA_LONG, 6 * page, 0); // so does writing a zero
            assertEquals(2 * page, memory.nextData(0));
            assertEquals(2 * page + 8, memory.nextData(2 * page + 8), "inside data, the offset itself");
            assertEquals(4 * page, memory.nextHole(2 * page));
            assertEquals(6 * page, memory.nextData(4 * page));
            assertEquals(7 * page, memory.nextHole(6 * page));
            assertEquals(8 * page, memory.nextData(7 * page), "no data up to the end");
            assertEquals(7 * page + 8, memory.nextHole(7 * page + 8), "inside a hole, the offset itself");
        }
    }

    /** Through the fd: the mapping sees the bytes, the pages written become data, the rest stays hole. */
    @Test
    void memfdWritesLandWhereTheMappingSeesThem() {
        long page = HostMemory.PAGE_SIZE;
        try (HostMemory memory = HostMemory.memfd("ferry-test", 8 * page, false); Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(2 * page + 100);
            for (long i = 0; i < bytes.byteSize(); i++) {
                bytes.set(JAVA_BYTE, i, (byte) (i * 7 + 1));
            }
            memory.write(3 * page, bytes.asReadOnly());
            assertEquals(-1, memory.segment().asSlice(3 * page, bytes.byteSize()).mismatch(bytes));
            assertEquals(0, memory.segment().get(JAVA_BYTE, 5 * page + 100), "the rest of a page written in part reads zero");
            assertEquals(3 * page, memory.nextData(0));
            assertEquals(6 * page, memory.nextHole(3 * page));
            assertThrows(IndexOutOfBoundsException.class, () -> memory.write(7 * page, bytes), "past the end");
            assertEquals(8 * page, memory.nextData(6 * page), "a refused write wrote nothing");
        }
    }

    @Test
    void anonymousMemoryIsWrittenThroughItsMapping() {
        try (HostMemory memory = HostMemory.anonymous(2 * HostMemory.PAGE_SIZE, false); Arena arena = Arena.ofConfined()) {
            MemorySegment bytes = arena.allocate(JAVA_LONG);
            bytes.set(JAVA_LONG, 0, 0x1122_3344_5566_7788L);
            memory.write(HostMemory.PAGE_SIZE + 8, bytes);
            assertEquals(0x1122_3344_5566_7788L, memory.segment().get(JAVA_LONG, HostMemory.PAGE_SIZE + 8));
            assertThrows(IndexOutOfBoundsException.class, () -> memory.write(2 * HostMemory.PAGE_SIZE - 4, bytes));
        }
    }

    @Test
    void anonymousMemoryCannotTellItsUntouchedPages() {
        try (HostMemory memory = HostMemory.anonymous(4 * HostMemory.PAGE_SIZE, false)) {
            assertEquals(HostMemory.PAGE_SIZE, memory.nextData(HostMemory.PAGE_SIZE), "every page may hold data");
            assertEquals(4 * HostMemory.PAGE_SIZE, memory.nextHole(0));
        }
    }

    @Test
    void anonymousMemoryIsZeroedAndChecksItsSize() {
        try (HostMemory memory = HostMemory.anonymous(16 * HostMemory.PAGE_SIZE, true)) {
            assertEquals(0, memory.segment().address() % HostMemory.PAGE_SIZE);
            assertEquals(-1, memory.segment().mismatch(java.lang.foreign.MemorySegment.ofArray(
                    new byte[(int) memory.size()])));
            assertFalse(memory.fd().isPresent());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostMemory.anonymous(100, false));
        assertEquals("host memory size must be a positive multiple of 4096, got 100", e.getMessage());
    }

    @Test
    void eventFdAddsUpSignals() {
        try (EventFd event = EventFd.create(true)) {
            assertEquals(0, event.read());
            event.signal(3);
            event.signal(4);
            assertEquals(7, event.read());
            assertEquals(0, event.read());
        }
    }

    @Test
    void kickSignalInterruptsABlockingSyscall() throws Exception {
        // The same signal that kicks KVM_RUN makes a blocked read return EINTR: the handler is
        // installed, runs harmlessly and does not restart the call.
        try (EventFd event = EventFd.create(false)) {
            CompletableFuture<Long> thread = new CompletableFuture<>();
            CompletableFuture<Long> read = CompletableFuture.supplyAsync(() -> {
                thread.complete(LibC.pthreadSelf());
                return event.read();
            });
            long pthread = thread.get(5, TimeUnit.SECONDS);
            Thread.sleep(200);
            assertFalse(read.isDone());
            VcpuKicker.signal(pthread);
            ExecutionException e = assertThrows(ExecutionException.class, () -> read.get(5, TimeUnit.SECONDS));
            KvmException cause = (KvmException) e.getCause();
            assertEquals(LibC.EINTR, cause.errno());
            assertTrue(cause.getMessage().startsWith("read(eventfd) failed: EINTR"), cause.getMessage());
        }
    }
}
