/**
 * The storage section of a live migration: copies running disks to a destination, full or
 * incremental, with a dirty bitmap fed by the block layer's write observer, zero markers,
 * convergence by write throttling and digest verification at the switch. {@link
 * dev.ferry.blockmig.BlockSourceSection} and {@link dev.ferry.blockmig.BlockTargetSection} plug
 * into a VM's savevm registry; {@link dev.ferry.blockmig.BlockCopy} copies disks without a VM.
 */
module dev.ferry.blockmig {
    requires org.slf4j;
    // XXH3-128 for the disk digests and backing identities.
    requires com.dynatrace.hash4j;
    // BlockCopy's signatures take savevm's MigrationChannel, MigrationOptions and Pausable ...
    requires transitive dev.ferry.savevm;
    // ... and vm-core's BlockDevice.
    requires transitive dev.ferry.vm;

    exports dev.ferry.blockmig;         // BlockCopy, the block sections, their options, statistics and exceptions
    // savevm's record codec reads and builds DiskSpec and BlockCopyConfig by reflection.
    opens dev.ferry.blockmig to dev.ferry.savevm;
}
