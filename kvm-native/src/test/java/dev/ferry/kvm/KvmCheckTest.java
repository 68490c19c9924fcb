package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.bindings.Ioctls;
import dev.ferry.kvm.bindings.LibC;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The capability answers a {@link Kvm} keeps are the ones KVM gives. */
@Tag("kvm")
class KvmCheckTest {

    /** Asked twice, every capability answers what KVM_CHECK_EXTENSION on a device fd of the test's own says, present or not. */
    @Test
    void keptAnswersAreKvmsAnswers() {
        TestGuest.assumeKvm();
        int fd;
        try (Arena arena = Arena.ofConfined()) {
            fd = LibC.open(arena.allocateFrom(Kvm.DEVICE.toString()), LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        }
        assertTrue(fd >= 0, "open(" + Kvm.DEVICE + ") failed");
        try (Kvm kvm = Kvm.open()) {
            for (Capability capability : Capability.values()) {
                int asked = LibC.ioctl(fd, Ioctls.KVM_CHECK_EXTENSION.request(), capability.number());
                assertTrue(asked >= 0, capability.name() + ": KVM_CHECK_EXTENSION failed");
                assertEquals(asked, kvm.check(capability), capability.name());
                assertEquals(asked, kvm.check(capability), capability.name() + ", asked again");
                assertEquals(asked > 0, kvm.has(capability), capability.name());
            }
        } finally {
            LibC.close(fd);
        }
    }
}
