package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A guest spinning without exits is kicked out of KVM_RUN from another thread, and can go on. */
@Tag("kvm")
class VcpuKickTest {

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
