/**
 * The ferry command and its monitor; the module the runtime image is linked around. An
 * application, not a library: it exports nothing.
 */
module dev.ferry.monitor {
    requires org.slf4j;
    requires org.slf4j.simple;
    requires info.picocli;
    // QMP reads and writes JSON with Jackson's tree model (no data binding, so nothing is opened to it).
    requires com.fasterxml.jackson.databind;
    requires org.jline.reader;
    requires org.jline.terminal;
    // sun.misc.Signal: SIGTERM ends the VM the way quit does and says so, as QEMU does.
    requires jdk.unsupported;
    requires dev.ferry.kvm;
    requires dev.ferry.savevm;
    requires dev.ferry.transport;
    requires dev.ferry.vm;
    requires dev.ferry.blockmig;

    // picocli fills the command objects reflectively.
    opens dev.ferry.monitor to info.picocli;
    opens dev.ferry.monitor.hmp to info.picocli;
    // The migration's configuration record (VmConfig) travels through savevm's record codec.
    opens dev.ferry.monitor.vm to dev.ferry.savevm;
}
