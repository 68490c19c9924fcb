package dev.ferry.kvm;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import dev.ferry.kvm.bindings.LibC;
import dev.ferry.kvm.bindings.Sigaction;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Interrupts KVM_RUN on another thread. KVM_RUN only returns early for a signal that has a handler,
 * and Java code must never run as a signal handler, so the handler is one native {@code ret}
 * instruction on a page of its own (glibc's restorer then does rt_sigreturn). It is installed once,
 * without SA_RESTART, for the highest real-time signal that has no handler yet, searching down from
 * SIGRTMAX-3: the JDK's NIO takes SIGRTMAX-2 to interrupt blocked I/O threads.
 */
final class VcpuKicker {

    private static final byte RET = (byte) 0xC3;
    private static final long PAGE = 4096;

    /** The signal that kicks vCPU threads. */
    static final int SIGNAL = install();

    private VcpuKicker() {
    }

    @SuppressWarnings("restricted")
    private static int install() {
        try (Arena arena = Arena.ofConfined()) {
            int signal = freeSignal(arena);
            MemorySegment page = LibC.mmap(MemorySegment.NULL, PAGE, LibC.PROT_READ | LibC.PROT_WRITE,
                    LibC.MAP_PRIVATE | LibC.MAP_ANONYMOUS, -1, 0);
            if (page.address() == LibC.MAP_FAILED) {
                throw new KvmException("mmap(signal handler page)", LibC.errno());
            }
            // The page lives as long as the process: the handler stays installed.
            page.reinterpret(PAGE).set(JAVA_BYTE, 0, RET);
            Sys.check(LibC.mprotect(page, PAGE, LibC.PROT_READ | LibC.PROT_EXEC), "mprotect(signal handler page)");
            MemorySegment action = arena.allocate(Sigaction.LAYOUT);
            action.set(ADDRESS, 0, page);
            Sys.check(LibC.sigaction(signal, action, MemorySegment.NULL), "sigaction(" + signal + ")");
            return signal;
        }
    }

    private static int freeSignal(Arena arena) {
        MemorySegment old = arena.allocate(Sigaction.LAYOUT);
        for (int signal = LibC.sigrtmax() - 3; signal >= LibC.sigrtmin(); signal--) {
            Sys.check(LibC.sigaction(signal, MemorySegment.NULL, old), "sigaction(query " + signal + ")");
            if (old.get(ADDRESS, 0).address() == 0) {
                return signal;
            }
        }
        throw new IllegalStateException("every real-time signal from SIGRTMIN " + LibC.sigrtmin() + " to SIGRTMAX-3 "
                + (LibC.sigrtmax() - 3) + " has a handler: none is left to kick vCPUs out of KVM_RUN");
    }

    /**
     * Installs the handler (this class's initialisation, once per process) and runs the kick's
     * native call once, with signal 0 (checks the thread, sends nothing). Called for every new
     * vCPU: otherwise both ran first, cold, on a migration's pause, inside the guest's downtime.
     */
    static void prepare() {
        int error = LibC.pthreadKill(LibC.pthreadSelf(), 0);
        if (error != 0) {
            throw new KvmException("pthread_kill(self, 0)", error);
        }
    }

    /** Sends the kick signal to native thread {@code pthread}. */
    static void signal(long pthread) {
        int error = LibC.pthreadKill(pthread, SIGNAL);
        if (error != 0) {
            throw new KvmException("pthread_kill", error);
        }
    }
}
