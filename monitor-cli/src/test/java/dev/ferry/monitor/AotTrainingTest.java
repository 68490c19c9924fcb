package dev.ferry.monitor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ferry.blockmig.BlockSourceSection;
import dev.ferry.kvm.Vcpu;
import dev.ferry.monitor.vm.VmConfig;
import dev.ferry.savevm.IncomingMigration;
import dev.ferry.transport.MigrationUri;
import dev.ferry.vm.Machine;
import dev.ferry.vm.StateRehearsal;
import dev.ferry.vm.state.CpuSnapshot;
import dev.ferry.vm.state.KvmVmSnapshot;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AotTrainingTest {

    @Test
    void loadsTheKvmMachinesClassesThatATrainingWithoutKvmNeverRuns() {
        List<Class<?>> loaded = AotTraining.loadFerryClasses();
        Set<Class<?>> classes = new HashSet<>(loaded);
        assertEquals(loaded.size(), classes.size(), "each class once");
        for (Class<?> expected : List.of(Machine.class, StateRehearsal.class, CpuSnapshot.class, KvmVmSnapshot.class,
                Vcpu.class, IncomingMigration.class, BlockSourceSection.class, MigrationUri.class, VmConfig.class, Main.class)) {
            assertTrue(classes.contains(expected), expected.getName() + " not loaded");
        }
        for (Class<?> c : loaded) {
            assertTrue(c.getModule().getName().startsWith(AotTraining.MODULE_PREFIX), c + " is not Ferry's");
        }
        // Nested, private and unexported classes too: the record codec's are all three.
        assertTrue(loaded.stream().anyMatch(c -> c.getName().startsWith("dev.ferry.savevm.codec.StateCodec$")));
    }

    @Test
    void onlyClassFilesNameClasses() {
        assertEquals("dev.ferry.vm.Machine", AotTraining.className("dev/ferry/vm/Machine.class"));
        assertEquals("dev.ferry.vm.Machine$1", AotTraining.className("dev/ferry/vm/Machine$1.class"));
        assertNull(AotTraining.className("module-info.class"));
        assertNull(AotTraining.className("dev/ferry/vm/package-info.class"));
        assertNull(AotTraining.className("dev/ferry/vm/guest.bin"));
        assertNull(AotTraining.className("META-INF/MANIFEST.MF"));
    }
}
