package dev.ferry.monitor.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.vm.block.ImageFormat;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DriveSpecTest {

    @Test
    void pathAloneGetsDefaults() {
        DriveSpec spec = DriveSpec.parse("/tmp/a.img", 1);
        assertEquals(new DriveSpec(Path.of("/tmp/a.img"), Optional.empty(), "vdb", false, Optional.empty(), false, false), spec);
    }

    @Test
    void everyKeyIsRead() {
        DriveSpec spec = DriveSpec.parse("/d/o.qcow2,format=qcow2,id=data,readonly=on,backing=/d/base.raw,shared=on,overwrite=yes", 0);
        assertEquals(new DriveSpec(Path.of("/d/o.qcow2"), Optional.of(ImageFormat.QCOW2), "data", true,
                Optional.of(Path.of("/d/base.raw")), true, true), spec);
    }

    @Test
    void badOptionsSayWhatIsWrong() {
        assertTrue(message(",format=raw").contains("has no path"));
        assertTrue(message("a.img,format=vmdk").contains("unknown image format 'vmdk'"));
        assertTrue(message("a.img,colour=blue").contains("unknown key 'colour'"));
        assertTrue(message("a.img,readonly").contains("is not KEY=VALUE"));
        assertTrue(message("a.img,readonly=maybe").contains("readonly must be on or off"));
        assertTrue(message("a.img,id=9lives").contains("must start with a letter"));
    }

    private static String message(String option) {
        return assertThrows(IllegalArgumentException.class, () -> DriveSpec.parse(option, 0)).getMessage();
    }
}
