package dev.ferry.kvm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvmImplementationTest {

    @TempDir
    Path sys;

    private KvmImplementation with(String... modules) throws IOException {
        for (String module : modules) {
            Files.createDirectories(sys.resolve(module).resolve("parameters"));
        }
        return KvmImplementation.listedIn(sys);
    }

    @Test
    void pvmAloneIsPvmAndRefusesLinuxNamingTheModulesThatBootIt() throws IOException {
        KvmImplementation pvm = with("kvm", "kvm_pvm");
        assertEquals(KvmImplementation.PVM, pvm);
        String problem = pvm.linuxProblem().orElseThrow();
        assertTrue(problem.contains("kvm_pvm") && problem.contains("kvm_intel or kvm_amd"), problem);
    }

    @Test
    void aFullKvmBesidePvmIsTheOneServingTheDeviceAndBootsLinux() throws IOException {
        assertEquals(KvmImplementation.AMD, with("kvm", "kvm_pvm", "kvm_amd"));
        assertTrue(KvmImplementation.AMD.linuxProblem().isEmpty());
    }

    @Test
    void intelIsIntelAndAFolderWithNoKvmModuleIsUnknown() throws IOException {
        assertEquals(KvmImplementation.UNKNOWN, with("kvm", "virtio_blk"));
        assertEquals(KvmImplementation.INTEL, with("kvm_intel"));
        assertTrue(KvmImplementation.INTEL.linuxProblem().isEmpty());
        assertTrue(KvmImplementation.UNKNOWN.linuxProblem().isEmpty());
    }
}
