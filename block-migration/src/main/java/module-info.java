/**
 * The storage section of a live migration: copies running disks to a destination, full or
 * incremental, with a dirty bitmap fed by the block layer's write observer, zero markers,
 * convergence by write throttling and digest verification at the switch.
 */
module dev.ferry.blockmig {
    requires org.slf4j;
    requires dev.ferry.savevm;
    requires transitive dev.ferry.vm;

    exports dev.ferry.blockmig;
}
