package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** ioeventfd and irqfd with this host's KVM. */
@Tag("kvm")
class EventFdKvmTest {

    @BeforeEach
    void needKvm() {
        TestGuest.assumeKvm();
    }

    @Test
    void ioeventfdTakesTheGuestsPortWriteWithoutAnExit() {
        try (TestGuest guest = new TestGuest(false, false, false); EventFd event = EventFd.create(true)) {
            KvmRequirement.need(guest.kvm.has(Capability.IOEVENTFD), "needs KVM_CAP_IOEVENTFD");
            guest.vm.assignIoeventfd(event, true, 0x10, 1, OptionalLong.of(0x42));
            // The out to port 0x10 no longer exits: the first exit is the hlt after it.
            assertInstanceOf(VcpuExit.Hlt.class, guest.vcpu.run());
            assertEquals(1, event.read());
            guest.vm.deassignIoeventfd(event, true, 0x10, 1, OptionalLong.of(0x42));
        }
    }

    @Test
    void irqfdBindsToAnIrqchipLine() {
        try (TestGuest guest = new TestGuest(false, false, true); EventFd event = EventFd.create(true)) {
            KvmRequirement.need(guest.kvm.has(Capability.IRQFD), "needs KVM_CAP_IRQFD");
            guest.vm.assignIrqfd(event, 5);
            event.signal(1);
            guest.vm.irqLine(6, true);
            guest.vm.irqLine(6, false);
            guest.vm.deassignIrqfd(event, 5);
            // Bound again after the deassign: KVM refuses a second binding of the same eventfd.
            guest.vm.assignIrqfd(event, 5);
            KvmException twice = assertThrows(KvmException.class, () -> guest.vm.assignIrqfd(event, 5));
            assertEquals("KVM_IRQFD", twice.operation());
        }
    }
}
