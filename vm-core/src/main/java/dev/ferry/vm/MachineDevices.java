package dev.ferry.vm;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.bus.Bus;
import dev.ferry.vm.bus.InterruptLine;
import dev.ferry.vm.device.ExitDevice;
import dev.ferry.vm.device.GuestReport;
import dev.ferry.vm.device.acpi.AcpiPmRegisters;
import dev.ferry.vm.device.rtc.CmosRtc;
import dev.ferry.vm.device.serial.Uart16550;
import dev.ferry.vm.device.serial.UartSink;
import dev.ferry.vm.device.state.VirtioMmioState;
import dev.ferry.vm.device.virtio.VirtioMmioTransport;
import dev.ferry.vm.device.virtio.blk.VirtioBlk;
import dev.ferry.vm.linux.VirtioMmioDevice;
import dev.ferry.vm.memory.GuestMemory;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntFunction;

/**
 * The machine's buses and devices: the UART at 0x3f8, the exit device at 0x501, and one
 * virtio-mmio virtio-blk per disk from {@value #VIRTIO_BASE_HEX} on, 0x200 bytes apart; a PC
 * machine (Linux) also has the CMOS clock at 0x70 and the ACPI PM registers at 0x600, and its
 * disks interrupt on the IOAPIC pins above the ISA range (16 on), clear of the SCI on 9.
 */
final class MachineDevices implements AutoCloseable {

    static final long VIRTIO_BASE = 0xd000_0000L;
    static final String VIRTIO_BASE_HEX = "0xd0000000";
    static final int UART_PORT = 0x3f8;
    static final int UART_GSI = 4;
    static final int FIRST_DISK_GSI = 5;
    static final int FIRST_PC_DISK_GSI = 16;
    /** Pins 16-23 of the IOAPIC. */
    static final int MAX_PC_DISKS = 8;

    final Bus pio = new Bus("pio");
    final Bus mmio = new Bus("mmio");
    final Uart16550 uart;
    final Optional<CmosRtc> cmos;
    final Optional<AcpiPmRegisters> acpiPm;
    final List<BlockDevice> disks = new ArrayList<>();
    final List<VirtioMmioTransport> virtio = new ArrayList<>();
    private final int firstDiskGsi;

    /**
     * @param irq the interrupt line of a GSI (no-ops without an in-kernel irqchip)
     * @param reports what the guest writes to the exit device, on the vCPU thread
     * @param pc whether to add the PC devices a Linux guest reads (the CMOS clock, ACPI PM registers)
     */
    MachineDevices(GuestMemory memory, List<DiskSpec> specs, DiskOpener opener, UartSink console, Consumer<GuestReport> reports,
                   IntFunction<InterruptLine> irq, boolean pc) throws IOException {
        uart = new Uart16550(console, irq.apply(UART_GSI));
        pio.register(UART_PORT, Uart16550.LENGTH, uart);
        pio.register(ExitDevice.PORT, ExitDevice.LENGTH, new ExitDevice(reports));
        firstDiskGsi = pc ? FIRST_PC_DISK_GSI : FIRST_DISK_GSI;
        cmos = pc ? Optional.of(new CmosRtc(Clock.systemUTC())) : Optional.empty();
        cmos.ifPresent(rtc -> pio.register(CmosRtc.PORT, CmosRtc.LENGTH, rtc));
        acpiPm = pc ? Optional.of(new AcpiPmRegisters()) : Optional.empty();
        acpiPm.ifPresent(pm -> pio.register(AcpiPmRegisters.PORT, AcpiPmRegisters.LENGTH, pm));
        try {
            for (DiskSpec spec : specs) {
                int index = disks.size();
                BlockDevice disk = opener.open(index, spec);
                disks.add(disk);
                VirtioMmioTransport transport = new VirtioMmioTransport(memory,
                        new VirtioBlk(memory, disk, diskId(index)), irq.apply(firstDiskGsi + index));
                mmio.register(diskMmio(index), VirtioMmioTransport.LENGTH, transport);
                virtio.add(transport);
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    static String diskId(int index) {
        return "disk" + index;
    }

    static long diskMmio(int index) {
        return VIRTIO_BASE + (long) index * VirtioMmioTransport.LENGTH;
    }

    /** The disks' windows and interrupt pins, as the ACPI tables describe them to Linux. */
    List<VirtioMmioDevice> virtioDevices() {
        List<VirtioMmioDevice> list = new ArrayList<>();
        for (int i = 0; i < virtio.size(); i++) {
            list.add(new VirtioMmioDevice(diskMmio(i), VirtioMmioTransport.LENGTH, firstDiskGsi + i));
        }
        return list;
    }

    List<VirtioMmioState> virtioStates() {
        return virtio.stream().map(VirtioMmioTransport::state).toList();
    }

    void restoreVirtio(List<VirtioMmioState> states) {
        if (states.size() != virtio.size()) {
            throw new IllegalArgumentException("snapshot has " + states.size() + " disks, this machine " + virtio.size());
        }
        for (int i = 0; i < states.size(); i++) {
            virtio.get(i).restore(states.get(i));
        }
    }

    @Override
    public void close() throws IOException {
        IOException first = null;
        for (BlockDevice disk : disks) {
            try {
                disk.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        disks.clear();
        if (first != null) {
            throw first;
        }
    }
}
