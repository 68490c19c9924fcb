package dev.ferry.kvm;

/**
 * The VM's kvmclock (KVM_GET/SET_CLOCK). With {@code KVM_CLOCK_REALTIME} in {@code flags}, setting
 * it advances the clock by the real time elapsed since {@code realtime} was taken, as a migration
 * destination wants.
 *
 * @param clock kvmclock in nanoseconds
 * @param flags KVM_CLOCK_TSC_STABLE, KVM_CLOCK_REALTIME, KVM_CLOCK_HOST_TSC bits
 * @param realtime CLOCK_REALTIME in nanoseconds when read (valid with KVM_CLOCK_REALTIME)
 * @param hostTsc host TSC when read (valid with KVM_CLOCK_HOST_TSC)
 */
public record ClockData(long clock, int flags, long realtime, long hostTsc) {
}
