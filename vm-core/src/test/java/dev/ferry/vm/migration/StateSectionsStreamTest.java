package dev.ferry.vm.migration;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.kvm.ClockData;
import dev.ferry.kvm.DTable;
import dev.ferry.kvm.MpState;
import dev.ferry.kvm.Msr;
import dev.ferry.kvm.Regs;
import dev.ferry.kvm.Segment;
import dev.ferry.kvm.Sregs;
import dev.ferry.savevm.ConfigCheck;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.device.acpi.AcpiPmRegisters;
import dev.ferry.vm.device.state.AcpiPmState;
import dev.ferry.vm.device.state.ForgedAcpiPmStates.Cut;
import dev.ferry.vm.device.state.ForgedAcpiPmStates.Unchecked;
import dev.ferry.vm.device.state.QueueState;
import dev.ferry.vm.device.state.UartState;
import dev.ferry.vm.device.state.VirtioMmioState;
import dev.ferry.vm.state.CpuSnapshot;
import dev.ferry.vm.state.DiskConfig;
import dev.ferry.vm.state.KvmVmSnapshot;
import dev.ferry.vm.state.MachineConfig;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The machine's state records (vCPU with KVM's records inside, in-kernel devices, UART, virtio)
 * and its configuration go through savevm's real stream and codec and arrive equal: the module
 * opens and the records' shapes are fit for the wire. The values are made up; the machine tests
 * carry real ones on a host with KVM. A record whose bytes a device must not take (values its
 * checks refuse, components missing) fails the migration at the destination, before any load.
 */
class StateSectionsStreamTest {

    private static final MachineConfig CONFIG = new MachineConfig(64L << 20, 1, true, true,
            List.of(new DiskConfig("disk0", 8L << 20, false)), Optional.empty());
    private static final SectionId ACPI_PM = new SectionId("acpi-pm", 0, AcpiPmState.VERSION);

    private static CpuSnapshot cpu() {
        Segment code = Segment.code64(0x8, 0);
        Segment data = Segment.data(0x10, 0);
        Sregs sregs = new Sregs(code, data, data, data, data, data, data, data, new DTable(0x1000, 0x37),
                new DTable(0x2000, 0xfff), 0x80050033L, 0, 0x101000, 0x620, 0, 0x500, 0xfee00900L, List.of(0L, 0L, 0L, 0L));
        Regs regs = new Regs(1, 2, 3, 4, 5, 6, 0x7ff0, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0x100040, 0x202);
        return new CpuSnapshot(0, regs, sregs, Optional.empty(), Optional.of(new byte[] {1, 2, 3, 4}),
                Optional.of(new byte[] {5}), List.of(new Msr(0x10, 123), new Msr(0xc0000080, 0x500)),
                Optional.of(MpState.RUNNABLE), Optional.empty(), Optional.of(new byte[64]), Optional.empty(), false);
    }

    @Test
    void machineStateRecordsCrossTheStreamUnchanged() throws Exception {
        CpuSnapshot cpu = cpu();
        KvmVmSnapshot kvm = new KvmVmSnapshot(List.of(new byte[] {9, 9}, new byte[] {8}), Optional.of(new byte[] {7}),
                Optional.of(new ClockData(1_000_000, 2, 3, 4)));
        UartState uart = new UartState(1, 3, 8, 0, 0xc7, 12, 0, true, new byte[] {'h', 'i'});
        VirtioMmioState virtio = new VirtioMmioState(2, 1L << 32 | 0x244, 1L << 32, 1, 0, 0, 0xf, 1, 3,
                List.of(new QueueState(128, true, 0x200000, 0x201000, 0x202000, 17, 17)));
        AcpiPmRegisters pm = new AcpiPmRegisters();
        pm.restore(new AcpiPmState(0x0100, 0x0121, 0x0c01));
        AcpiPmRegisters arrivedPm = new AcpiPmRegisters();

        AtomicReference<CpuSnapshot> gotCpu = new AtomicReference<>();
        AtomicReference<KvmVmSnapshot> gotKvm = new AtomicReference<>();
        AtomicReference<UartState> gotUart = new AtomicReference<>();
        AtomicReference<VirtioMmioState> gotVirtio = new AtomicReference<>();
        SectionRegistry source = new SectionRegistry()
                .register(new RecordSection<>(new SectionId("cpu", 0, 1), CpuSnapshot.class, () -> cpu, s -> { }))
                .register(new RecordSection<>(new SectionId("kvm-vm", 0, 1), KvmVmSnapshot.class, () -> kvm, s -> { }))
                .register(new RecordSection<>(new SectionId("serial", 0, 1), UartState.class, () -> uart, s -> { }))
                .register(new RecordSection<>(new SectionId("virtio-mmio", 0, 1), VirtioMmioState.class, () -> virtio, s -> { }))
                .register(new RecordSection<>(ACPI_PM, AcpiPmState.class, pm::state, s -> { }));
        SectionRegistry destination = new SectionRegistry()
                .register(new RecordSection<>(new SectionId("cpu", 0, 1), CpuSnapshot.class, () -> null, gotCpu::set))
                .register(new RecordSection<>(new SectionId("kvm-vm", 0, 1), KvmVmSnapshot.class, () -> null, gotKvm::set))
                .register(new RecordSection<>(new SectionId("serial", 0, 1), UartState.class, () -> null, gotUart::set))
                .register(new RecordSection<>(new SectionId("virtio-mmio", 0, 1), VirtioMmioState.class, () -> null,
                        gotVirtio::set))
                .register(new RecordSection<>(ACPI_PM, AcpiPmState.class, () -> null, arrivedPm::restore));

        Outcome outcome = send(source, destination);
        MigrationState end = outcome.source();

        assertEquals(Optional.empty(), outcome.destination());
        assertInstanceOf(MigrationState.Completed.class, end, () -> "ended " + end);
        assertEquals(cpu.toVcpuState(), gotCpu.get().toVcpuState());
        assertEquals(cpu.id(), gotCpu.get().id());
        assertEquals(cpu.halted(), gotCpu.get().halted());
        assertEquals(kvm.toVmState(), gotKvm.get().toVmState());
        assertArrayEquals(uart.rxFifo(), gotUart.get().rxFifo());
        assertEquals(uart.ier(), gotUart.get().ier());
        assertEquals(uart.thrInterruptPending(), gotUart.get().thrInterruptPending());
        assertEquals(virtio, gotVirtio.get());
        assertEquals(pm.state(), arrivedPm.state(), "ACPI PM registers");
    }

    @Test
    void acpiPmValuesTheDeviceWouldNotHoldAreRefusedNotApplied() throws Exception {
        for (Unchecked forged : List.of(new Unchecked(0, 0x0121, 0), new Unchecked(0x1_0000, 0, AcpiPmState.SCI_EN))) {
            AcpiPmRegisters arrived = new AcpiPmRegisters();
            MigrationState.Failed end = refused(new RecordSection<>(ACPI_PM, Unchecked.class, () -> forged, s -> { }), arrived);
            assertTrue(end.reason().contains("AcpiPmState refused the decoded values: acpi pm state: "), end.reason());
            assertEquals(new AcpiPmRegisters().state(), arrived.state(), "the destination's registers are untouched");
        }
    }

    @Test
    void aCutAcpiPmRecordIsRefusedNotApplied() throws Exception {
        AcpiPmRegisters arrived = new AcpiPmRegisters();
        MigrationState.Failed end = refused(new RecordSection<>(ACPI_PM, Cut.class, () -> new Cut(0, 0x0121), s -> { }),
                arrived);
        assertTrue(end.reason().contains("record AcpiPmState: shape differs from the sender's"), end.reason());
        assertEquals(new AcpiPmRegisters().state(), arrived.state(), "the destination's registers are untouched");
    }

    /** Sends {@code forged} as the "acpi-pm" section to a destination whose section restores {@code device}. */
    private static MigrationState.Failed refused(RecordSection<?> forged, AcpiPmRegisters device) throws Exception {
        SectionRegistry source = new SectionRegistry().register(forged);
        SectionRegistry destination = new SectionRegistry()
                .register(new RecordSection<>(ACPI_PM, AcpiPmState.class, () -> null, device::restore));
        Outcome outcome = send(source, destination);
        assertTrue(outcome.destination().isPresent(), "the destination took it");
        return assertInstanceOf(MigrationState.Failed.class, outcome.source(), () -> "source ended " + outcome.source());
    }

    /** How both ends of one migration ended: the source's state, the destination's refusal if it refused. */
    private record Outcome(MigrationState source, Optional<MigrationException> destination) {
    }

    /** Migrates {@code source}'s sections into {@code destination}'s over a pipe. */
    private static Outcome send(SectionRegistry source, SectionRegistry destination) throws Exception {
        Pipe stream = Pipe.open();
        Pipe back = Pipe.open();
        CompletableFuture<Optional<MigrationException>> incoming = CompletableFuture.supplyAsync(() -> {
            try {
                IncomingMigration.receive(destination, MachineConfig.class, ConfigCheck.sameAs(CONFIG),
                        MigrationChannel.of(stream.source(), back.sink()));
                return Optional.empty();
            } catch (MigrationException e) {
                return Optional.of(e);
            }
        });
        MigrationDriver driver = MigrationDriver.start(source, Pausable.NOTHING_TO_PAUSE, CONFIG,
                MigrationChannel.of(back.source(), stream.sink()), MigrationOptions.defaults());
        MigrationState end = driver.await(Duration.ofSeconds(30));
        return new Outcome(end, incoming.get(10, TimeUnit.SECONDS));
    }
}
