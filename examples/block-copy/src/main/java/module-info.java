/** Ferry used as a library by an outside project: a live disk copied from one JVM to another. */
module dev.ferry.example.blockcopy {
    requires dev.ferry.blockmig;
    requires dev.ferry.transport;
}
