package dev.ferry.savevm.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ferry.savevm.ConfigCheck;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.SectionRegistry;
import java.io.ByteArrayInputStream;
import java.nio.channels.Channels;
import org.junit.jupiter.api.Test;

/** Properly sealed streams with a bad field under the envelope, as a hostile source writes them. */
class SealedStreamTest {

    private static final int START = 0x10;

    @Test
    void sectionIdThatIsNotUtf8IsRefusedByName() throws Exception {
        byte[] stream = SeedStreams.write(SeedStreams.all().getFirst());
        Resealer.FrameAt start = Resealer.frames(stream).stream().filter(f -> stream[f.offset()] == START)
                .findFirst().orElseThrow();
        stream[start.payload() + 1] = (byte) 0xff;
        FuzzRam ram = new FuzzRam(SeedStreams.PAGES);
        SectionRegistry registry = new SectionRegistry().register(ram).register(new FuzzDevice(null));
        MigrationException e = assertThrows(MigrationException.class, () -> IncomingMigration.receive(registry,
                FuzzConfig.class, ConfigCheck.sameAs(FuzzConfig.standard()),
                MigrationChannel.readOnly(Channels.newChannel(new ByteArrayInputStream(Resealer.reseal(stream))))));
        assertEquals("frame 2 (START, section 1): section id is not valid UTF-8", e.getMessage());
    }
}
