/** The migration stream, its sections and the live-migration driver. Knows no VM and no disk. */
module dev.ferry.savevm {
    requires org.slf4j;
}
