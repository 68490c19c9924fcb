/** Guest memory, vCPUs, devices, the block layer and Ferry's built-in guest. */
module dev.ferry.vm {
    requires org.slf4j;
    requires dev.ferry.kvm;
    requires dev.ferry.savevm;

    exports dev.ferry.vm.block;
}
