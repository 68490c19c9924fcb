package dev.ferry.vm.memory;

import dev.ferry.kvm.DirtyBitmap;
import dev.ferry.kvm.MemorySlot;
import dev.ferry.kvm.Vm;
import java.util.ArrayList;
import java.util.List;

/**
 * Guest RAM registered with a VM, one KVM memory slot per {@link RamRegion}, and the
 * {@link DirtyTracker} of a running machine: KVM's dirty log (switched on only while a migration
 * runs) merged with the VMM's own DMA writes. With KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 a harvest
 * fetches the log and then clears (re-protects) only the pages it found dirty, which costs far
 * less than the classic fetch-and-reset of every page.
 */
public final class KvmRamSlots implements DirtyTracker {

    private final GuestRam ram;
    private final List<MemorySlot> slots = new ArrayList<>();
    private final boolean manualProtect;
    private boolean logging;

    /**
     * Maps every region of {@code ram} into {@code vm}; call before creating vCPUs.
     *
     * @param vm the VM
     * @param ram the guest RAM
     */
    public KvmRamSlots(Vm vm, GuestRam ram) {
        this.ram = ram;
        this.manualProtect = vm.enableManualDirtyLogProtect(false);
        for (RamRegion region : ram.regions()) {
            slots.add(vm.mapMemory(region.index(), region.gpa(), region.host(), false));
        }
    }

    /**
     * Whether harvests clear only the pages they found (manual dirty-log protect).
     *
     * @return true with manual dirty-log protect
     */
    public boolean manualProtect() {
        return manualProtect;
    }

    /**
     * Whether KVM logs dirty pages now.
     *
     * @return true while logging
     */
    public synchronized boolean logging() {
        return logging;
    }

    @Override
    public synchronized void start() {
        ram.trackDma(true);
        for (MemorySlot slot : slots) {
            slot.logDirtyPages(true);
        }
        logging = true;
    }

    @Override
    public synchronized void harvest(List<PageBitmap> into) {
        if (logging) {
            for (int i = 0; i < slots.size(); i++) {
                MemorySlot slot = slots.get(i);
                DirtyBitmap log = slot.fetchDirtyLog();
                if (manualProtect) {
                    slot.clearDirtyLog(log);
                }
                into.get(i).addKvmLog(log.segment());
            }
        }
        ram.drainDma(into);
    }

    @Override
    public synchronized void stop() {
        if (logging) {
            for (MemorySlot slot : slots) {
                slot.logDirtyPages(false);
            }
            logging = false;
        }
        ram.trackDma(false);
    }
}
