/** Guest memory, vCPUs, devices, the block layer and Ferry's built-in guest. */
module dev.ferry.vm {
    requires org.slf4j;
    requires transitive dev.ferry.kvm;
    requires transitive dev.ferry.savevm;

    exports dev.ferry.vm;
    exports dev.ferry.vm.block;
    exports dev.ferry.vm.device.serial;
    exports dev.ferry.vm.device.state;
    exports dev.ferry.vm.guest;
    exports dev.ferry.vm.memory;
    exports dev.ferry.vm.migration;
    exports dev.ferry.vm.state;
    exports dev.ferry.vm.workload;

    // savevm's StateCodec builds the state records by reflection (canonical constructor and
    // accessors): the records travelling in the migration stream live in these packages.
    opens dev.ferry.vm.state to dev.ferry.savevm;
    opens dev.ferry.vm.device.state to dev.ferry.savevm;
    opens dev.ferry.vm.workload to dev.ferry.savevm;
}
