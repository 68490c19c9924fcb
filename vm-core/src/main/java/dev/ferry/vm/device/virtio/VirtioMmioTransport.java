package dev.ferry.vm.device.virtio;

import dev.ferry.vm.bus.BusDevice;
import dev.ferry.vm.bus.InterruptLine;
import dev.ferry.vm.device.state.QueueState;
import dev.ferry.vm.device.state.VirtioMmioState;
import dev.ferry.vm.memory.GuestMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtio-mmio transport, version 2 (virtio 1.x), in a {@link #LENGTH}-byte MMIO window.
 * A write to QueueNotify serves the queue at once on the vCPU thread, so when the vCPUs are
 * paused no request is in flight and {@link #state()} is complete.
 */
public final class VirtioMmioTransport implements BusDevice {

    /** Bytes of MMIO space per device: registers, then the config space from 0x100. */
    public static final int LENGTH = 0x200;

    public static final int STATUS_ACKNOWLEDGE = 1;
    public static final int STATUS_DRIVER = 2;
    public static final int STATUS_DRIVER_OK = 4;
    public static final int STATUS_FEATURES_OK = 8;
    public static final int STATUS_NEEDS_RESET = 0x40;
    public static final int STATUS_FAILED = 0x80;
    public static final long F_VERSION_1 = 1L << 32;

    private static final Logger LOG = LoggerFactory.getLogger(VirtioMmioTransport.class);
    private static final int MAGIC = 0x74726976; // "virt"
    private static final int VENDOR = 0x59525246; // "FRRY"
    private static final int INT_USED = 1;
    private static final int INT_CONFIG = 2;
    private static final int CONFIG = 0x100;

    private final GuestMemory memory;
    private final VirtioDevice device;
    private final InterruptLine irq;
    private final QueueState[] queues;
    private final Virtqueue[] live;
    private long driverFeatures;
    private int deviceFeaturesSel;
    private int driverFeaturesSel;
    private int queueSel;
    private int status;
    private int interruptStatus;
    private int configGeneration;

    public VirtioMmioTransport(GuestMemory memory, VirtioDevice device, InterruptLine irq) {
        this.memory = memory;
        this.device = device;
        this.irq = irq;
        this.queues = new QueueState[device.queueCount()];
        this.live = new Virtqueue[device.queueCount()];
        reset();
    }

    private void reset() {
        Arrays.fill(queues, QueueState.initial(device.queueMaxSize()));
        Arrays.fill(live, null);
        driverFeatures = 0;
        deviceFeaturesSel = 0;
        driverFeaturesSel = 0;
        queueSel = 0;
        status = 0;
        interruptStatus = 0;
    }

    @Override
    public synchronized void read(long offset, MemorySegment data) {
        if (offset >= CONFIG) {
            device.readConfig(offset - CONFIG, data);
            return;
        }
        data.fill((byte) 0);
        if (data.byteSize() != 4) {
            return; // registers are 32-bit only
        }
        data.set(ValueLayout.JAVA_INT_UNALIGNED, 0, register((int) offset));
    }

    private int register(int offset) {
        QueueState q = selected();
        return switch (offset) {
            case 0x000 -> MAGIC;
            case 0x004 -> 2;
            case 0x008 -> device.deviceId();
            case 0x00c -> VENDOR;
            case 0x010 -> deviceFeaturesSel > 1 ? 0 : (int) (device.features() >>> (32 * deviceFeaturesSel));
            case 0x034 -> q == null ? 0 : device.queueMaxSize();
            case 0x038 -> q == null ? 0 : q.size();
            case 0x044 -> q != null && q.ready() ? 1 : 0;
            case 0x060 -> interruptStatus;
            case 0x070 -> status;
            case 0x080 -> q == null ? 0 : (int) q.descTable();
            case 0x084 -> q == null ? 0 : (int) (q.descTable() >>> 32);
            case 0x090 -> q == null ? 0 : (int) q.availRing();
            case 0x094 -> q == null ? 0 : (int) (q.availRing() >>> 32);
            case 0x0a0 -> q == null ? 0 : (int) q.usedRing();
            case 0x0a4 -> q == null ? 0 : (int) (q.usedRing() >>> 32);
            case 0x0fc -> configGeneration;
            default -> 0;
        };
    }

    @Override
    public synchronized void write(long offset, MemorySegment data) {
        if (offset >= CONFIG) {
            device.writeConfig(offset - CONFIG, data);
            return;
        }
        if (data.byteSize() != 4) {
            return;
        }
        int value = data.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        switch ((int) offset) {
            case 0x014 -> deviceFeaturesSel = value;
            case 0x020 -> setDriverFeatures(value);
            case 0x024 -> driverFeaturesSel = value;
            case 0x030 -> queueSel = value;
            case 0x038 -> setQueueSize(value);
            case 0x044 -> setQueueReady(value != 0);
            case 0x050 -> notifyQueue(value);
            case 0x064 -> interruptStatus &= ~value;
            case 0x070 -> setStatus(value);
            case 0x080 -> setAddress(0, value, false);
            case 0x084 -> setAddress(0, value, true);
            case 0x090 -> setAddress(1, value, false);
            case 0x094 -> setAddress(1, value, true);
            case 0x0a0 -> setAddress(2, value, false);
            case 0x0a4 -> setAddress(2, value, true);
            default -> LOG.debug("virtio-mmio: write to read-only or unknown register 0x{}", Integer.toHexString((int) offset));
        }
    }

    private QueueState selected() {
        return queueSel >= 0 && queueSel < queues.length ? queues[queueSel] : null;
    }

    private void setDriverFeatures(int value) {
        if ((status & STATUS_FEATURES_OK) != 0 || driverFeaturesSel > 1) {
            return; // features are fixed once accepted
        }
        int shift = 32 * driverFeaturesSel;
        driverFeatures = (driverFeatures & ~(0xffffffffL << shift)) | ((value & 0xffffffffL) << shift);
    }

    private void setStatus(int value) {
        if (value == 0) {
            reset();
            return;
        }
        int added = value & ~status;
        if ((added & STATUS_FEATURES_OK) != 0
                && ((driverFeatures & ~device.features()) != 0 || (driverFeatures & F_VERSION_1) == 0)) {
            value &= ~STATUS_FEATURES_OK; // the driver reads it back and sees the refusal
        }
        status = value & 0xff;
    }

    /** Queue fields may change only while the queue is not ready, as the spec demands. */
    private void setQueueSize(int size) {
        QueueState q = selected();
        if (q == null || q.ready()) {
            return;
        }
        if (size > device.queueMaxSize() || size <= 0 || (size & (size - 1)) != 0) {
            LOG.warn("virtio-mmio: driver chose queue size {} (max {})", size, device.queueMaxSize());
            fail();
            return;
        }
        queues[queueSel] = new QueueState(size, false, q.descTable(), q.availRing(), q.usedRing(), 0, 0);
    }

    private void setAddress(int which, int value, boolean high) {
        QueueState q = selected();
        if (q == null || q.ready()) {
            return;
        }
        long[] a = {q.descTable(), q.availRing(), q.usedRing()};
        long half = value & 0xffffffffL;
        a[which] = high ? (a[which] & 0xffffffffL) | (half << 32) : (a[which] & ~0xffffffffL) | half;
        try {
            queues[queueSel] = new QueueState(q.size(), false, a[0], a[1], a[2], 0, 0);
        } catch (IllegalArgumentException e) {
            LOG.warn("virtio-mmio: {}", e.getMessage());
            fail();
        }
    }

    private void setQueueReady(boolean ready) {
        QueueState q = selected();
        if (q == null) {
            return;
        }
        if (!ready) {
            queues[queueSel] = new QueueState(q.size(), false, q.descTable(), q.availRing(), q.usedRing(), 0, 0);
            live[queueSel] = null;
            return;
        }
        QueueState enabled = new QueueState(q.size(), true, q.descTable(), q.availRing(), q.usedRing(), 0, 0);
        try {
            live[queueSel] = new Virtqueue(memory, enabled);
            queues[queueSel] = enabled;
        } catch (VirtqueueException e) {
            LOG.warn("virtio-mmio: {}", e.getMessage());
            fail();
        }
    }

    private void notifyQueue(int index) {
        if ((status & STATUS_DRIVER_OK) == 0 || (status & STATUS_NEEDS_RESET) != 0
                || index < 0 || index >= live.length || live[index] == null) {
            return;
        }
        try {
            if (device.process(index, live[index])) {
                interruptStatus |= INT_USED;
                irq.trigger();
            }
        } catch (VirtqueueException e) {
            LOG.warn("virtio-mmio: device {} queue {}: {}", device.deviceId(), index, e.getMessage());
            fail();
        }
    }

    /** The driver broke the protocol: stop serving until it resets the device. */
    private void fail() {
        status |= STATUS_NEEDS_RESET;
        interruptStatus |= INT_CONFIG;
        irq.trigger();
    }

    private QueueState liveState(int index) {
        return live[index] != null ? live[index].state() : queues[index];
    }

    /** The transport's registers and queues, for a snapshot taken while the vCPUs are paused. */
    public synchronized VirtioMmioState state() {
        List<QueueState> list = new ArrayList<>(queues.length);
        for (int i = 0; i < queues.length; i++) {
            list.add(liveState(i));
        }
        return new VirtioMmioState(device.deviceId(), device.features(), driverFeatures, deviceFeaturesSel,
                driverFeaturesSel, queueSel, status, interruptStatus, configGeneration, list);
    }

    /**
     * Takes a snapshot's state. It must come from the same kind of device with the same features
     * (a read-only disk is not a read-write one), and every ready queue's rings must be guest RAM.
     *
     * @throws IllegalArgumentException naming what does not fit; the transport is then unchanged
     */
    public synchronized void restore(VirtioMmioState state) {
        if (state.deviceId() != device.deviceId()) {
            throw new IllegalArgumentException("virtio state: device id " + state.deviceId() + ", this device is " + device.deviceId());
        }
        if (state.deviceFeatures() != device.features()) {
            throw new IllegalArgumentException(String.format(
                    "virtio state: device features 0x%x, this device offers 0x%x", state.deviceFeatures(), device.features()));
        }
        if (state.queues().size() != queues.length) {
            throw new IllegalArgumentException("virtio state: " + state.queues().size() + " queues, this device has " + queues.length);
        }
        Virtqueue[] rebuilt = new Virtqueue[queues.length];
        for (int i = 0; i < queues.length; i++) {
            QueueState q = state.queues().get(i);
            q.validate(device.queueMaxSize());
            if (q.ready()) {
                try {
                    rebuilt[i] = new Virtqueue(memory, q);
                } catch (VirtqueueException e) {
                    throw new IllegalArgumentException("virtio state: queue " + i + ": " + e.getMessage(), e);
                }
            }
        }
        for (int i = 0; i < queues.length; i++) {
            queues[i] = state.queues().get(i);
            live[i] = rebuilt[i];
        }
        driverFeatures = state.driverFeatures();
        deviceFeaturesSel = state.deviceFeaturesSel();
        driverFeaturesSel = state.driverFeaturesSel();
        queueSel = state.queueSel();
        status = state.status();
        interruptStatus = state.interruptStatus();
        configGeneration = state.configGeneration();
    }

    @Override
    public String toString() {
        return "virtio-mmio(" + device + ")";
    }
}
