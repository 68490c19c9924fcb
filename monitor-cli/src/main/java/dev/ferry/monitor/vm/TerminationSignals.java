package dev.ferry.monitor.vm;

import java.util.List;
import sun.misc.Signal;

/**
 * SIGTERM, SIGINT and SIGHUP end the VM as QEMU does: one line naming the signal, then the same
 * orderly end as {@code quit} (a running migration cancelled, monitor sockets removed).
 */
final class TerminationSignals {

    private TerminationSignals() {
    }

    static void install(Runnable quit) {
        for (String name : List.of("TERM", "INT", "HUP")) {
            Signal.handle(new Signal(name), signal -> {
                System.err.println("ferry: terminating on signal " + signal.getNumber());
                quit.run();
            });
        }
    }
}
