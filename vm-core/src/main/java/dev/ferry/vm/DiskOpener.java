package dev.ferry.vm;

import dev.ferry.vm.block.BlockDevice;
import java.io.IOException;

/**
 * Where a machine's disks come from: opened from their specs, or handed in already open (an
 * incoming migration checks and fills its images before the machine exists, and the machine
 * must write through those very devices, not a second open of the same files).
 */
@FunctionalInterface
interface DiskOpener {

    DiskOpener BY_SPEC = (index, spec) -> spec.open();

    BlockDevice open(int index, DiskSpec spec) throws IOException;
}
