package dev.ferry.vm.migration;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;

class RamCopyTrainingTest {

    /** The AOT caches' training runs it: each of its migrations must complete with equal bytes, or it throws. */
    @Test
    void migratesItsRamWholeEveryTime() {
        assertDoesNotThrow(RamCopyTraining::run);
    }
}
