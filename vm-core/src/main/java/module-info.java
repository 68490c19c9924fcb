/**
 * Guest memory, vCPUs, devices, the block layer and Ferry's built-in guest. The block layer
 * ({@code dev.ferry.vm.block}) is usable on its own, without KVM.
 *
 * <p>Internal, not exported: {@code bus}, {@code cpu}, {@code device}, {@code device.virtio},
 * {@code device.virtio.blk} (how a Machine is put together) and {@code block.internal},
 * {@code block.qcow2}, {@code block.raw} (the image formats behind {@code BlockImages}).
 */
module dev.ferry.vm {
    requires org.slf4j;
    // Public signatures carry KVM types (CpuSnapshot holds Regs, Sregs, Lapic, ...) and savevm's (Pausable, sections).
    requires transitive dev.ferry.kvm;
    requires transitive dev.ferry.savevm;

    exports dev.ferry.vm;               // Machine, MachineSpec, RunState: a VM to boot, pause, snapshot, migrate
    exports dev.ferry.vm.block;         // BlockDevice, BlockImages: raw and qcow2 images, backing chains, write observers
    exports dev.ferry.vm.device.serial; // UartSink: where a Machine's console goes
    exports dev.ferry.vm.device.state;  // device state records, parts of MachineSnapshot
    exports dev.ferry.vm.guest;         // the built-in guest's commands and status, as Machine takes and reports them
    exports dev.ferry.vm.linux;         // LinuxBoot: a Linux kernel, initrd and command line for Machine.bootLinux
    exports dev.ferry.vm.memory;        // GuestMemory, GuestRam, DirtyTracker: guest RAM and its dirty tracking
    exports dev.ferry.vm.migration;     // RamSection, RecordSection: a Machine's migration sections
    exports dev.ferry.vm.state;         // MachineSnapshot and configuration records: the stream's wire contract
    exports dev.ferry.vm.workload;      // DiskWorkload: a host thread writing self-checking blocks (--machine none)

    // savevm's StateCodec builds the state records by reflection (canonical constructor and
    // accessors): the records travelling in the migration stream live in these packages.
    opens dev.ferry.vm.state to dev.ferry.savevm;
    opens dev.ferry.vm.device.state to dev.ferry.savevm;
    opens dev.ferry.vm.workload to dev.ferry.savevm;
}
