package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.ferry.kvm.bindings.KvmConstants;
import dev.ferry.kvm.bindings.KvmRun;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns the exit KVM left in a kvm_run area into a {@link VcpuExit}. The data views of the common
 * exits (1-8 byte MMIO, single port I/O) are cut once, so decoding them allocates only the record.
 */
final class ExitDecoder {

    static final VcpuExit.Interrupted INTERRUPTED = new VcpuExit.Interrupted();
    private static final VcpuExit.Hlt HLT = new VcpuExit.Hlt();
    private static final VcpuExit.Shutdown SHUTDOWN = new VcpuExit.Shutdown();
    // KVM_PIO_PAGE_OFFSET: port I/O data normally sits on the page after kvm_run.
    private static final long PIO_DATA = 4096;

    private final MemorySegment run;
    private final MemorySegment[] mmioData = new MemorySegment[9];
    private final MemorySegment[] pioData = new MemorySegment[9];

    ExitDecoder(MemorySegment run) {
        this.run = run;
        for (int len = 1; len <= 8; len++) {
            mmioData[len] = run.asSlice(KvmRun.MMIO_DATA, len);
            pioData[len] = run.byteSize() >= PIO_DATA + len ? run.asSlice(PIO_DATA, len) : null;
        }
    }

    VcpuExit decode() {
        int reason = KvmRun.exitReason(run);
        return switch (reason) {
            case KvmConstants.KVM_EXIT_IO -> io();
            case KvmConstants.KVM_EXIT_MMIO -> {
                long address = KvmRun.mmioPhysAddr(run);
                MemorySegment data = mmioData[Math.clamp(KvmRun.mmioLen(run), 1, 8)];
                yield KvmRun.mmioIsWrite(run) ? new VcpuExit.MmioWrite(address, data)
                        : new VcpuExit.MmioRead(address, data);
            }
            case KvmConstants.KVM_EXIT_HLT -> HLT;
            case KvmConstants.KVM_EXIT_SHUTDOWN -> SHUTDOWN;
            case KvmConstants.KVM_EXIT_INTR -> INTERRUPTED;
            case KvmConstants.KVM_EXIT_FAIL_ENTRY ->
                new VcpuExit.FailEntry(KvmRun.failEntryReason(run), KvmRun.failEntryCpu(run));
            case KvmConstants.KVM_EXIT_INTERNAL_ERROR -> new VcpuExit.InternalError(KvmRun.internalSuberror(run),
                    words(KvmRun.INTERNAL_DATA, KvmRun.internalNdata(run)));
            case KvmConstants.KVM_EXIT_SYSTEM_EVENT -> new VcpuExit.SystemEvent(KvmRun.systemEventType(run),
                    words(KvmRun.SYSTEM_EVENT_DATA, KvmRun.systemEventNdata(run)));
            default -> new VcpuExit.Unknown(reason,
                    reason == KvmConstants.KVM_EXIT_UNKNOWN ? KvmRun.hardwareExitReason(run) : 0);
        };
    }

    private VcpuExit io() {
        int size = KvmRun.ioSize(run);
        int count = KvmRun.ioCount(run);
        long offset = KvmRun.ioDataOffset(run);
        MemorySegment data = count == 1 && offset == PIO_DATA && size <= 8 && pioData[size] != null
                ? pioData[size] : run.asSlice(offset, (long) size * count);
        int port = KvmRun.ioPort(run);
        return KvmRun.ioDirection(run) == KvmConstants.KVM_EXIT_IO_OUT
                ? new VcpuExit.IoOut(port, size, count, data) : new VcpuExit.IoIn(port, size, count, data);
    }

    private List<Long> words(long offset, int n) {
        List<Long> words = new ArrayList<>();
        for (int i = 0; i < Math.clamp(n, 0, 16); i++) {
            words.add(run.get(JAVA_LONG, offset + 8L * i));
        }
        return List.copyOf(words);
    }
}
