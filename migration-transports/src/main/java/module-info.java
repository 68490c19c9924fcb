/** Byte channels for the migration stream, chosen by URI: tcp, unix, fd and exec. */
module dev.ferry.transport {
    requires org.slf4j;
}
