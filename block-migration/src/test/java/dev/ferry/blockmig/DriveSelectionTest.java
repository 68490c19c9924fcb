package dev.ferry.blockmig;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.BlockImages;
import dev.ferry.vm.block.ImageFormat;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DriveSelectionTest {

    @TempDir
    Path dir;

    @Test
    void selectsAllOrTheListedDrivesAndNeverAReadOnlyOne() throws Exception {
        Images.raw(dir.resolve("cdrom.raw"), 1 << 20).close();
        try (BlockDevice vda = Images.raw(dir.resolve("vda.raw"), 1 << 20);
             BlockDevice vdb = Images.raw(dir.resolve("vdb.raw"), 1 << 20);
             BlockDevice cdrom = BlockImages.open(dir.resolve("cdrom.raw"), ImageFormat.RAW, true)) {
            SequencedMap<String, BlockDevice> attached = new LinkedHashMap<>();
            attached.put("vda", vda);
            attached.put("cdrom", cdrom);
            attached.put("vdb", vdb);
            assertEquals(List.of("vda", "vdb"), List.copyOf(DriveSelection.parse("all").select(attached).keySet()));
            assertEquals(List.of("vdb"), List.copyOf(DriveSelection.parse(" vdb ").select(attached).keySet()));
            assertEquals(List.of("vdb", "vda"),
                    List.copyOf(DriveSelection.parse("vdb,cdrom,vda").select(attached).keySet()));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> DriveSelection.parse("vda,vdz").select(attached));
            assertEquals("drive 'vdz' is not attached (attached: vda, cdrom, vdb)", e.getMessage());
        }
    }

    @Test
    void rejectsEmptyAndRepeatedEntries() {
        assertEquals("drive list 'vda,,vdb' has an empty entry",
                assertThrows(IllegalArgumentException.class, () -> DriveSelection.parse("vda,,vdb")).getMessage());
        assertEquals("drive list 'vda,vda' names a drive twice",
                assertThrows(IllegalArgumentException.class, () -> DriveSelection.parse("vda,vda")).getMessage());
        assertEquals("vda,vdb", DriveSelection.parse("vda, vdb").toString());
    }
}
