package dev.ferry.kvm;

import java.util.Map;
import java.util.Set;

/**
 * What this host's KVM offers, from {@link Kvm#probe()}: callers decide what to use from it.
 *
 * @param apiVersion KVM_GET_API_VERSION (12 on every current kernel)
 * @param capabilities each probed capability with KVM_CHECK_EXTENSION's value; absent ones map to 0
 * @param states the state kinds a VM with an in-kernel irqchip can save and restore here
 * @param vcpuMmapSize bytes of the kvm_run mapping
 * @param msrIndexCount entries in KVM_GET_MSR_INDEX_LIST
 */
public record HostSupport(int apiVersion, Map<Capability, Integer> capabilities, Set<StateKind> states,
                          int vcpuMmapSize, int msrIndexCount) {

    /** Copies the map and set. */
    public HostSupport {
        capabilities = Map.copyOf(capabilities);
        states = Set.copyOf(states);
    }

    /**
     * True when {@code capability} is present (its value is non-zero).
     *
     * @param capability the capability
     * @return true if present
     */
    public boolean has(Capability capability) {
        return capabilities.getOrDefault(capability, 0) > 0;
    }

    /**
     * One line per missing capability and the supported states, for logs and `info kvm`.
     *
     * @return the summary, several lines
     */
    public String summary() {
        StringBuilder text = new StringBuilder("KVM API ").append(apiVersion).append(", states ").append(states);
        capabilities.entrySet().stream().filter(e -> e.getValue() == 0).map(e -> e.getKey().name()).sorted()
                .forEach(name -> text.append("\n  missing ").append(name));
        return text.toString();
    }
}
