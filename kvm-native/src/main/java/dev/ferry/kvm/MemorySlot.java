package dev.ferry.kvm;

import dev.ferry.kvm.bindings.Ioctls;
import dev.ferry.kvm.bindings.KvmConstants;
import dev.ferry.kvm.bindings.KvmDirtyLog;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Host memory a {@link Vm} sees as guest physical memory at {@link #guestAddress()} (a KVM user
 * memory region), with its dirty log. Made by {@link Vm#mapMemory}; gone with {@link #remove()} or
 * the VM's close.
 */
public final class MemorySlot {

    private final Vm vm;
    private final int slot;
    private final long guestAddress;
    private final MemorySegment host;
    private final Arena arena = Arena.ofShared();
    private final DirtyBitmap bitmap;
    private int flags;
    private boolean removed;

    MemorySlot(Vm vm, int slot, long guestAddress, MemorySegment host, int flags) {
        this.vm = vm;
        this.slot = slot;
        this.guestAddress = guestAddress;
        this.host = host;
        this.flags = flags;
        long pages = host.byteSize() / HostMemory.PAGE_SIZE;
        this.bitmap = new DirtyBitmap(arena.allocate(DirtyBitmap.bytesFor(pages), Long.BYTES), pages);
    }

    /**
     * KVM's slot number.
     *
     * @return the slot number
     */
    public int slot() {
        return slot;
    }

    /**
     * Guest physical address of the first byte.
     *
     * @return guest physical address
     */
    public long guestAddress() {
        return guestAddress;
    }

    /**
     * Bytes of guest memory.
     *
     * @return bytes
     */
    public long size() {
        return host.byteSize();
    }

    /**
     * The host memory behind the slot.
     *
     * @return the host memory
     */
    public MemorySegment host() {
        return host;
    }

    /**
     * True while KVM logs the guest's writes to this slot.
     *
     * @return true while logging
     */
    public synchronized boolean logsDirtyPages() {
        return (flags & KvmConstants.KVM_MEM_LOG_DIRTY_PAGES) != 0;
    }

    /**
     * Starts or stops dirty logging on the live slot (KVM_SET_USER_MEMORY_REGION with
     * KVM_MEM_LOG_DIRTY_PAGES toggled). Starting resets the log: every page counts as clean
     * (or, with manual protect and INITIALLY_SET, as dirty).
     *
     * @param on whether to log
     */
    public synchronized void logDirtyPages(boolean on) {
        checkLive();
        int changed = on ? flags | KvmConstants.KVM_MEM_LOG_DIRTY_PAGES : flags & ~KvmConstants.KVM_MEM_LOG_DIRTY_PAGES;
        vm.setRegion(slot, changed, guestAddress, host);
        flags = changed;
    }

    /**
     * Fetches the pages written since the last fetch (KVM_GET_DIRTY_LOG) into this slot's bitmap
     * and returns it. Without manual protect KVM also clears and re-protects them; with it (see
     * {@link Vm#enableManualDirtyLogProtect}) call {@link #clearDirtyLog} before copying the pages.
     *
     * @return this slot's bitmap, reused by the next fetch
     */
    public synchronized DirtyBitmap fetchDirtyLog() {
        checkLive();
        if (!logsDirtyPages()) {
            throw new IllegalStateException("memory slot " + slot + " does not log dirty pages");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment log = call.allocate(KvmDirtyLog.LAYOUT);
            KvmDirtyLog.get(log, slot, bitmap.writable());
            Sys.ioctl(vm.fd(), Ioctls.KVM_GET_DIRTY_LOG, log);
        }
        return bitmap;
    }

    /**
     * Clears the dirty bits set in {@code pages} and write-protects those pages again
     * (KVM_CLEAR_DIRTY_LOG), so writes after this call show up in the next fetch. Needs manual
     * dirty-log protect.
     *
     * @param pages the pages to clear, usually from {@link #fetchDirtyLog}
     */
    public synchronized void clearDirtyLog(DirtyBitmap pages) {
        checkLive();
        if (pages.pages() != bitmap.pages()) {
            throw new IllegalArgumentException("bitmap covers " + pages.pages() + " pages, slot " + slot + " has "
                    + bitmap.pages());
        }
        if (!vm.manualDirtyLogProtect()) {
            throw new IllegalStateException("KVM_CLEAR_DIRTY_LOG needs manual dirty-log protect: call "
                    + "Vm.enableManualDirtyLogProtect before mapping memory");
        }
        try (Arena call = Arena.ofConfined()) {
            MemorySegment clear = call.allocate(KvmDirtyLog.CLEAR);
            MemorySegment copy = call.allocate(pages.segment().byteSize(), Long.BYTES).copyFrom(pages.segment());
            KvmDirtyLog.clear(clear, slot, 0, Math.toIntExact(pages.pages()), copy);
            Sys.ioctl(vm.fd(), Ioctls.KVM_CLEAR_DIRTY_LOG, clear);
        }
    }

    /** Removes the slot from the VM; the host memory stays the caller's. */
    public synchronized void remove() {
        if (!removed) {
            vm.setRegion(slot, 0, guestAddress, MemorySegment.NULL);
            release();
            vm.forget(this);
        }
    }

    /** Frees the bitmap once the VM itself is gone. */
    synchronized void release() {
        if (!removed) {
            removed = true;
            arena.close();
        }
    }

    private void checkLive() {
        if (removed) {
            throw new IllegalStateException("memory slot " + slot + " was removed");
        }
    }
}
