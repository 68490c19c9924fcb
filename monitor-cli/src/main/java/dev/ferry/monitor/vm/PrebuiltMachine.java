package dev.ferry.monitor.vm;

import dev.ferry.vm.AcceptRehearsal;
import dev.ferry.vm.Machine;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A destination's KVM machine built from its own command line before it listens, as QEMU's
 * {@code -incoming} builds its machine at start: the source's configuration then only needs
 * checking against it ({@link Machine#accept}), where building it took seconds of cold code in a
 * nested VM; that check is rehearsed on it then too ({@link AcceptRehearsal}), where it took the
 * source's wait another second. Built only without drives, whose images the source's
 * configuration settles first, and as the Linux PC when the destination was given a kernel. The
 * migration takes it at most once, and only if the source's machine is of the same kind;
 * otherwise it is closed and the machine is built from the source's configuration, as without it.
 * Never started here: it runs only once a migration into it has succeeded. A failed build is left
 * for that later build to report.
 */
final class PrebuiltMachine implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PrebuiltMachine.class);

    private final boolean linux;
    private Machine machine;

    private PrebuiltMachine(Machine machine, boolean linux) {
        this.machine = machine;
        this.linux = linux;
    }

    /** Nothing built: every migration builds its machine from the source's configuration. */
    static PrebuiltMachine none() {
        return new PrebuiltMachine(null, false);
    }

    /**
     * Builds the machine now with {@code build}; a failure leaves {@link #none()}.
     *
     * @param build the destination's machine, created and not started
     * @param linux whether {@code build} builds the Linux PC
     */
    static PrebuiltMachine build(MachineBuild build, boolean linux) {
        long started = System.nanoTime();
        try {
            Machine built = build.create();
            LOG.debug("destination's machine built in {} ms, before the migration", (System.nanoTime() - started) / 1_000_000);
            rehearseCheck(built);
            return new PrebuiltMachine(built, linux);
        } catch (IOException | RuntimeException e) {
            LOG.debug("destination's machine not built ahead ({}): the migration builds it", e.toString());
            return none();
        }
    }

    private static void rehearseCheck(Machine built) {
        long started = System.nanoTime();
        try {
            AcceptRehearsal.run(built);
            LOG.debug("source's machine shape check rehearsed in {} ms, before the migration",
                    (System.nanoTime() - started) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            // Kept all the same: the source's configuration is judged by the same check, which reports it.
            LOG.debug("source's machine shape check not rehearsed ({})", e.toString());
        }
    }

    /** Builds a created, unstarted machine. */
    @FunctionalInterface
    interface MachineBuild {
        Machine create() throws IOException;
    }

    /**
     * The machine built ahead, once, if it is of the kind the source runs ({@code sourceLinux})
     * and no disks are to be attached; otherwise (and a machine of the other kind is closed) the
     * one {@code otherwise} builds.
     */
    Machine takeOr(boolean sourceLinux, boolean withDisks, MachineBuild otherwise) throws IOException {
        Machine built;
        synchronized (this) {
            built = machine;
            machine = null;
        }
        if (built != null && sourceLinux == linux && !withDisks) {
            return built;
        }
        if (built != null) {
            built.close();
        }
        return otherwise.create();
    }

    /** Closes the machine unless a migration took it. */
    @Override
    public synchronized void close() {
        if (machine != null) {
            machine.close();
            machine = null;
        }
    }
}
