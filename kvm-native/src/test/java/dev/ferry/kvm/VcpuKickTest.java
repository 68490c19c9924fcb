package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A guest spinning without exits, or halted inside KVM_RUN (an in-kernel irqchip keeps HLT there,
 * as with a Linux guest at idle), is kicked out of KVM_RUN from another thread, and can go on.
 */
@Tag("kvm")
class VcpuKickTest {

    private static final long RFLAGS_IF = 1 << 9;

    @BeforeEach
    void needKvm() {
        TestGuest.assumeKvm();
    }

    @Test
    void kickInterruptsASpinningGuestAgainAndAgain() throws Exception {
        ExecutorService vcpuThread = Executors.newSingleThreadExecutor();
        try (TestGuest guest = new TestGuest(false, false, false)) {
            guest.jump(TestGuest.SPIN);
            for (int round = 0; round < 2; round++) {
                Future<VcpuExit> exit = vcpuThread.submit(guest.vcpu::run);
                Thread.sleep(200);
                assertFalse(exit.isDone(), "the spinning guest left KVM_RUN before the kick: " + (exit.isDone() ? exit.get() : ""));
                guest.vcpu.kick();
                assertInstanceOf(VcpuExit.Interrupted.class, exit.get(5, TimeUnit.SECONDS));
                assertEquals(TestGuest.SPIN, guest.vcpu.getRegs().rip());
            }
        } finally {
            vcpuThread.shutdownNow();
        }
    }

    /**
     * A vCPU halted in the kernel with interrupts off (nothing but the kick can end that) and on
     * (no interrupt source exists here) leaves KVM_RUN on the kick, not on some later event. Prints
     * how long the kick took, beside a spinning vCPU's.
     */
    @Test
    void kickEndsAHaltInsideKvmAtOnce() throws Exception {
        ExecutorService vcpuThread = Executors.newSingleThreadExecutor();
        try (TestGuest guest = new TestGuest(false, false, true)) {
            long spinning = kickAfterAWhile(guest, vcpuThread, TestGuest.SPIN, Regs.RFLAGS_RESERVED);
            for (long rflags : new long[] {Regs.RFLAGS_RESERVED, Regs.RFLAGS_RESERVED | RFLAGS_IF}) {
                long halted = kickAfterAWhile(guest, vcpuThread, TestGuest.HALT_LOOP, rflags);
                long rip = guest.vcpu.getRegs().rip();
                assertTrue(rip == TestGuest.HALT_LOOP || rip == TestGuest.HALT_LOOP + 1, "rip 0x" + Long.toHexString(rip));
                System.out.printf("kick: a vCPU halted in KVM_RUN with IF=%d left it in %d µs (a spinning one in %d µs)%n",
                        (rflags & RFLAGS_IF) == 0 ? 0 : 1, halted / 1000, spinning / 1000);
            }
        } finally {
            vcpuThread.shutdownNow();
        }
    }

    /** Runs the guest at {@code rip}, kicks it once it has been in KVM_RUN a while; nanoseconds from kick to return. */
    private static long kickAfterAWhile(TestGuest guest, ExecutorService vcpuThread, long rip, long rflags) throws Exception {
        guest.jump(rip, rflags);
        AtomicLong returned = new AtomicLong();
        Future<VcpuExit> exit = vcpuThread.submit(() -> {
            VcpuExit why = guest.vcpu.run();
            returned.set(System.nanoTime());
            return why;
        });
        Thread.sleep(500);
        assertFalse(exit.isDone(), "the guest left KVM_RUN before the kick: " + (exit.isDone() ? exit.get() : ""));
        long kicked = System.nanoTime();
        guest.vcpu.kick();
        assertInstanceOf(VcpuExit.Interrupted.class, exit.get(5, TimeUnit.SECONDS));
        return returned.get() - kicked;
    }

    @Test
    void kickBeforeRunMakesTheNextRunReturnAtOnce() throws Exception {
        try (TestGuest guest = new TestGuest(false, false, false)) {
            guest.jump(TestGuest.SPIN);
            guest.vcpu.kick();
            VcpuExit exit = CompletableFuture.supplyAsync(guest.vcpu::run).get(5, TimeUnit.SECONDS);
            assertInstanceOf(VcpuExit.Interrupted.class, exit);
        }
    }
}
