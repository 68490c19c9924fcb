package dev.ferry.vm;

import dev.ferry.kvm.Capability;
import dev.ferry.kvm.GuestCpuid;
import dev.ferry.kvm.Kvm;
import dev.ferry.kvm.Vcpu;
import dev.ferry.kvm.Vm;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.codec.StateCodec;
import dev.ferry.vm.state.CpuSnapshot;
import dev.ferry.vm.state.KvmVmSnapshot;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the "cpu" and "kvm-vm" sections' save and load paths once, on a scratch VM, before a
 * migration needs them: saved from KVM, encoded, decoded and restored into the same scratch VM,
 * then thrown away; and a restored machine's first step at its start, telling kvmclock. Those
 * paths run inside the guest's downtime, once per process, and so does this rehearsal; cold
 * (class loading, Panama and method-handle linking, interpreted code) they took seconds in the
 * nested KVM (2026-12-05: "cpu" 2.7 s to save and 4.6 s to load). The scratch VM, with the Linux
 * PC's in-kernel devices and one vCPU with its CPUID, is the only safe target: a running vCPU's
 * state ioctls wait until it leaves KVM_RUN, and the migrated machine's own state must not change.
 */
public final class StateRehearsal {

    private static final Logger LOG = LoggerFactory.getLogger(StateRehearsal.class);
    /** Once per process: what it warms stays warm, and a source may have run it before its migration did. */
    private static final FutureTask<Boolean> ONCE = new FutureTask<>(StateRehearsal::rehearse);
    /**
     * Round trips: one runs the paths once, which leaves them interpreted where the JIT is C1 only
     * (a method compiles after about 200 calls; the codec calls some once per component, others
     * once per record or MSR), and interpreted they took 80 ms to save and 190 ms to load the
     * "cpu" section in the nested KVM. Each round after the first costs little once compiled.
     */
    private static final int ROUNDS = 12;

    private StateRehearsal() {
    }

    /**
     * Rehearses, once per process: the first call runs it, a call meanwhile waits for it, later
     * calls return its outcome. A host where it cannot run (no KVM, a missing capability) only
     * loses the warm-up, which the debug log names.
     *
     * @return whether both states went the whole way round
     */
    public static boolean run() {
        ONCE.run();
        try {
            return ONCE.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException e) {
            LOG.debug("vCPU and VM state paths not rehearsed: {}", e.getCause().toString());
            return false;
        }
    }

    private static boolean rehearse() {
        long started = System.nanoTime();
        try (Kvm kvm = Kvm.open(); Vm vm = kvm.createVm()) {
            boolean irqchip = kvm.has(Capability.IRQCHIP);
            if (irqchip) {
                vm.createIrqchip();
                if (kvm.has(Capability.PIT2)) {
                    vm.createPit2();
                }
            }
            Vcpu vcpu = vm.createVcpu(0);
            vcpu.setCpuid(GuestCpuid.forVcpu(Machine.guestCpuid(kvm, irqchip, true), 0));
            long[] rounds = new long[ROUNDS];
            for (int round = 0; round < ROUNDS; round++) {
                long roundStarted = System.nanoTime();
                vcpu.restoreState(roundTrip(CpuSnapshot.class, CpuSnapshot.of(0, vcpu.saveState(), false)).toVcpuState());
                vm.restoreState(roundTrip(KvmVmSnapshot.class, KvmVmSnapshot.of(vm.saveState())).toVmState());
                // The start's first step after a restore: told nothing here (no kvmclock), but linked and compiled.
                vcpu.tellGuestItWasStopped();
                rounds[round] = (System.nanoTime() - roundStarted) / 1000;
            }
            LOG.debug("vCPU and VM state paths rehearsed on a scratch VM in {} ms (rounds, µs: {})",
                    (System.nanoTime() - started) / 1_000_000, Arrays.toString(rounds));
            return true;
        } catch (MigrationException | RuntimeException e) {
            LOG.debug("vCPU and VM state paths not rehearsed: {}", e.toString());
            return false;
        }
    }

    private static <S extends Record> S roundTrip(Class<S> type, S state) throws MigrationException {
        return StateCodec.decode(type, ByteBuffer.wrap(StateCodec.encode(state)), Phase.LOAD);
    }
}
