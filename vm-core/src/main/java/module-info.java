/** Guest memory, vCPUs, devices, the block layer and Ferry's built-in guest. */
module dev.ferry.vm {
    requires org.slf4j;
    requires dev.ferry.kvm;
    requires dev.ferry.savevm;

    exports dev.ferry.vm.block;
    exports dev.ferry.vm.workload;

    // savevm's StateCodec builds the workload's state record by reflection when it migrates.
    opens dev.ferry.vm.workload to dev.ferry.savevm;
}
