/** The storage section of the migration stream: dirty bitmap and chunk copier. */
module dev.ferry.blockmig {
    requires org.slf4j;
    requires dev.ferry.savevm;
    requires dev.ferry.vm;
}
