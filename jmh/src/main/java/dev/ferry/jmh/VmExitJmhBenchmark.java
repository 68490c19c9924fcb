package dev.ferry.jmh;

import dev.ferry.kvm.HostMemory;
import dev.ferry.kvm.Kvm;
import dev.ferry.kvm.LongMode;
import dev.ferry.kvm.Vcpu;
import dev.ferry.kvm.VcpuExit;
import dev.ferry.kvm.Vm;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one VM exit as a device sees it: the timed region is one {@link Vcpu#run()} of a
 * guest looping on {@code out 0x10, al; jmp back} at CPL0 in long mode, i.e. guest entry, the
 * port-I/O exit, and decoding it into a {@link VcpuExit.IoOut} with a view of the data.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
public class VmExitJmhBenchmark {

    private static final long RAM = 1 << 20;
    private static final long TABLES = 0x1000;
    private static final long CODE = 0x4000;
    // out 0x10, al; jmp -4
    private static final byte[] OUT_LOOP = {(byte) 0xe6, 0x10, (byte) 0xeb, (byte) 0xfc};

    private Kvm kvm;
    private HostMemory ram;
    private Vm vm;
    private Vcpu vcpu;

    @Setup(Level.Trial)
    public void setUp() {
        if (!Files.exists(Kvm.DEVICE)) {
            throw new IllegalStateException("VmExitJmhBenchmark needs /dev/kvm");
        }
        kvm = Kvm.open();
        ram = HostMemory.anonymous(RAM, false);
        vm = kvm.createVm();
        vm.mapMemory(0, 0, ram.segment(), false);
        long cr3 = LongMode.writeIdentityPageTables(ram.segment(), TABLES, false);
        MemorySegment.copy(OUT_LOOP, 0, ram.segment(), ValueLayout.JAVA_BYTE, CODE, OUT_LOOP.length);
        vcpu = vm.createVcpu(0);
        LongMode.enter(kvm, vcpu, cr3, CODE, 0x8000);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        vm.close();
        ram.close();
        kvm.close();
    }

    @Benchmark
    public VcpuExit portOutExit() {
        VcpuExit exit = vcpu.run();
        if (!(exit instanceof VcpuExit.IoOut)) {
            throw new IllegalStateException("expected a port write, got " + exit);
        }
        return exit;
    }
}
