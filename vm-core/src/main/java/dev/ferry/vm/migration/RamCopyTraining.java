package dev.ferry.vm.migration;

import dev.ferry.savevm.ConfigCheck;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.vm.cpu.RunGate;
import dev.ferry.vm.cpu.VcpuThrottle;
import dev.ferry.vm.memory.GuestRam;
import dev.ferry.vm.memory.PageBitmap;
import dev.ferry.vm.memory.RamLayout;
import dev.ferry.vm.memory.RamRegion;
import dev.ferry.vm.state.MachineConfig;
import java.io.IOException;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Guest RAM migrated inside this process, for the AOT caches' training runs: the build has no KVM,
 * so the training (a migration of disks only) never ran {@link RamSection}'s send and load paths,
 * and every real guest's migration began with them cold: interpreted, then compiled by C1 with
 * full profiling (seconds under an emulated CPU: the loader's run method took 5 s), and only then
 * by C2. Run here, their method profiles go into the caches and the JIT starts from them. RAM of
 * {@value #PAGES} pages, as a booted guest's: a quarter holding data in runs, a quarter written
 * but zero (read to be found zero), the rest never touched (known zero without a read).
 */
public final class RamCopyTraining {

    private static final int PAGES = 16384;
    /** Enough passes that the per-page code is called as often as C2 needs before it compiles. */
    private static final int MIGRATIONS = 3;
    private static final Duration LIMIT = Duration.ofMinutes(2);

    private RamCopyTraining() {
    }

    /**
     * Migrates a RAM-only machine from one {@link GuestRam} to another over a pipe, {@value #MIGRATIONS} times.
     *
     * @throws IOException if a migration fails or the copy differs
     */
    public static void run() throws IOException {
        RamLayout layout = new RamLayout(List.of(new RamLayout.Range(0, (long) PAGES << PageBitmap.PAGE_SHIFT)));
        MachineConfig config = new MachineConfig(layout.ranges().getFirst().size(), 1, false, false, List.of(), Optional.empty());
        try (GuestRam source = GuestRam.allocate(layout, false); VcpuThrottle throttle = new VcpuThrottle(new RunGate())) {
            fill(source.regions().getFirst());
            for (int i = 0; i < MIGRATIONS; i++) {
                try (GuestRam destination = GuestRam.allocate(layout, false)) {
                    migrate(source, destination, config, throttle);
                    long differs = source.regions().getFirst().host().mismatch(destination.regions().getFirst().host());
                    if (differs >= 0) {
                        throw new IOException("RAM copy training: the copy differs at byte " + differs);
                    }
                }
            }
        }
    }

    private static void fill(RamRegion region) {
        for (long page = 0; page < region.pages(); page++) {
            if (page % 8 < 4) {
                region.host().asSlice(page << PageBitmap.PAGE_SHIFT, PageBitmap.PAGE_SIZE).fill(page % 8 < 2 ? (byte) (page | 1) : 0);
            }
        }
    }

    private static void migrate(GuestRam source, GuestRam destination, MachineConfig config, VcpuThrottle throttle)
            throws IOException {
        Pipe stream = Pipe.open();
        Pipe back = Pipe.open();
        CompletableFuture<Void> incoming = CompletableFuture.runAsync(() -> {
            try {
                IncomingMigration.receive(new SectionRegistry().register(new RamSection(destination, destination.vmmWritesTracker(), throttle)),
                        MachineConfig.class, ConfigCheck.sameAs(config), MigrationChannel.of(stream.source(), back.sink()));
            } catch (MigrationException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
        MigrationDriver driver = MigrationDriver.start(new SectionRegistry().register(new RamSection(source, source.vmmWritesTracker(), throttle)),
                Pausable.NOTHING_TO_PAUSE, config, MigrationChannel.of(back.source(), stream.sink()), MigrationOptions.defaults());
        try {
            MigrationState end = driver.await(LIMIT);
            if (!(end instanceof MigrationState.Completed)) {
                throw new IOException("RAM copy training: the migration ended " + end);
            }
            incoming.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("RAM copy training interrupted", e);
        } catch (ExecutionException e) {
            throw new IOException("RAM copy training: the destination failed: " + e.getCause().getMessage(), e);
        }
    }
}
