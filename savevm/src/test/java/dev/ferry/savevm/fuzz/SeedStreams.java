package dev.ferry.savevm.fuzz;

import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationDriver;
import dev.ferry.savevm.MigrationOptions;
import dev.ferry.savevm.MigrationState;
import dev.ferry.savevm.Pausable;
import dev.ferry.savevm.SectionRegistry;
import java.io.ByteArrayOutputStream;
import java.nio.channels.Channels;
import java.time.Duration;
import java.util.List;

/**
 * Valid streams written by the real source driver, so the fuzzer starts past the header, CRC and
 * codec checks and mutates deep inside sections. Each seed is a named machine state.
 */
final class SeedStreams {

    static final int PAGES = 8;

    /** A source machine: RAM contents and device state. */
    record Seed(String name, FuzzRam ram, FuzzDevice.State device) {
    }

    private SeedStreams() {
    }

    static List<Seed> all() {
        FuzzRam busy = new FuzzRam(PAGES);
        for (int page = 0; page < PAGES; page++) {
            busy.fill(page, (byte) (page * 37 + 1));
        }
        FuzzRam sparse = new FuzzRam(PAGES).fill(3, (byte) 0x5a);
        return List.of(new Seed("seed-busy", busy, FuzzDevice.busy()), new Seed("seed-sparse", sparse, FuzzDevice.idle()));
    }

    /** The stream the source driver writes for {@code seed}. */
    static byte[] write(Seed seed) throws InterruptedException {
        SectionRegistry registry = new SectionRegistry().register(seed.ram()).register(new FuzzDevice(seed.device()));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        MigrationDriver driver = MigrationDriver.start(registry, Pausable.NOTHING_TO_PAUSE, FuzzConfig.standard(),
                MigrationChannel.writeOnly(Channels.newChannel(bytes)), MigrationOptions.defaults());
        MigrationState end = driver.await(Duration.ofSeconds(20));
        if (!(end instanceof MigrationState.Completed)) {
            throw new IllegalStateException("the source driver did not complete seed " + seed.name() + ": " + end);
        }
        return bytes.toByteArray();
    }
}
