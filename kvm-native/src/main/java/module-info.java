/**
 * Everything Ferry says to /dev/kvm, through Panama (java.lang.foreign) only: {@link dev.ferry.kvm.Kvm}
 * (system fd), {@link dev.ferry.kvm.Vm} (VM fd, memory slots, dirty log, in-kernel devices) and
 * {@link dev.ferry.kvm.Vcpu} (run, exits, state), plus {@link dev.ferry.kvm.HostMemory} for guest RAM
 * and {@link dev.ferry.kvm.EventFd}.
 *
 * <p>Run with {@code --enable-native-access=dev.ferry.kvm} ({@code ALL-UNNAMED} on the class path);
 * {@link dev.ferry.kvm.Kvm#open()} refuses to start without it. The ferry launcher passes it.
 * The generated-style bindings in {@code dev.ferry.kvm.bindings} stay internal.
 */
module dev.ferry.kvm {
    requires org.slf4j;

    exports dev.ferry.kvm;              // Kvm, Vm, Vcpu and their state records
}
