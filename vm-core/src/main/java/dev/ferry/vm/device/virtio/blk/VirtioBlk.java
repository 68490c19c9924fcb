package dev.ferry.vm.device.virtio.blk;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.device.virtio.Descriptor;
import dev.ferry.vm.device.virtio.DescriptorChain;
import dev.ferry.vm.device.virtio.VirtioDevice;
import dev.ferry.vm.device.virtio.VirtioMmioTransport;
import dev.ferry.vm.device.virtio.Virtqueue;
import dev.ferry.vm.memory.GuestMemory;
import dev.ferry.vm.memory.GuestMemoryException;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A virtio-blk device on a {@link BlockDevice}: IN, OUT, FLUSH, GET_ID, DISCARD and WRITE_ZEROES,
 * one queue, served synchronously. Data moves straight between the image and guest memory slices;
 * every guest address is checked, and a bad one fails that request with IOERR.
 */
public final class VirtioBlk implements VirtioDevice {

    public static final int DEVICE_ID = 2;
    public static final int QUEUE_SIZE = 256;
    /** Longest id GET_ID returns. */
    public static final int ID_BYTES = 20;

    static final int T_IN = 0;
    static final int T_OUT = 1;
    static final int T_FLUSH = 4;
    static final int T_GET_ID = 8;
    static final int T_DISCARD = 11;
    static final int T_WRITE_ZEROES = 13;
    static final byte S_OK = 0;
    static final byte S_IOERR = 1;
    static final byte S_UNSUPP = 2;

    private static final long F_SEG_MAX = 1L << 2;
    private static final long F_RO = 1L << 5;
    private static final long F_BLK_SIZE = 1L << 6;
    private static final long F_FLUSH = 1L << 9;
    private static final long F_DISCARD = 1L << 13;
    private static final long F_WRITE_ZEROES = 1L << 14;
    private static final int SEG_MAX = QUEUE_SIZE - 2;
    private static final int MAX_ZERO_SECTORS = 1 << 22; // 2 GiB per discard/write-zeroes segment
    private static final int CONFIG_BYTES = 0x3c;
    private static final Logger LOG = LoggerFactory.getLogger(VirtioBlk.class);

    private final GuestMemory memory;
    private final BlockDevice disk;
    private final byte[] id;
    private final MemorySegment config;
    private final MemorySegment header = Arena.ofAuto().allocate(16);

    /** @param id what GET_ID returns (at most 20 bytes of it), e.g. the drive's serial */
    public VirtioBlk(GuestMemory memory, BlockDevice disk, String id) {
        this.memory = memory;
        this.disk = disk;
        byte[] bytes = id.getBytes(StandardCharsets.US_ASCII);
        this.id = java.util.Arrays.copyOf(bytes, Math.min(bytes.length, ID_BYTES));
        this.config = buildConfig(disk.size());
    }

    private static MemorySegment buildConfig(long size) {
        MemorySegment c = Arena.ofAuto().allocate(CONFIG_BYTES);
        c.set(ValueLayout.JAVA_LONG_UNALIGNED, 0x00, size / BlockDevice.SECTOR_SIZE);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x0c, SEG_MAX);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x14, BlockDevice.SECTOR_SIZE);
        c.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0x22, (short) 1);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x24, MAX_ZERO_SECTORS);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x28, 1);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x2c, 1);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x30, MAX_ZERO_SECTORS);
        c.set(ValueLayout.JAVA_INT_UNALIGNED, 0x34, 1);
        c.set(ValueLayout.JAVA_BYTE, 0x38, (byte) 1);
        return c;
    }

    @Override
    public int deviceId() {
        return DEVICE_ID;
    }

    @Override
    public long features() {
        long f = VirtioMmioTransport.F_VERSION_1 | F_SEG_MAX | F_BLK_SIZE | F_FLUSH;
        return disk.readOnly() ? f | F_RO : f | F_DISCARD | F_WRITE_ZEROES;
    }

    @Override
    public int queueCount() {
        return 1;
    }

    @Override
    public int queueMaxSize() {
        return QUEUE_SIZE;
    }

    @Override
    public void readConfig(long offset, MemorySegment data) {
        data.fill((byte) 0);
        long n = Math.min(data.byteSize(), CONFIG_BYTES - offset);
        if (offset >= 0 && n > 0) {
            MemorySegment.copy(config, offset, data, 0, n);
        }
    }

    @Override
    public void writeConfig(long offset, MemorySegment data) {
        // Every field is read-only without CONFIG_WCE, which this device does not offer.
    }

    @Override
    public boolean process(int index, Virtqueue queue) {
        boolean any = false;
        for (DescriptorChain chain = queue.pop(); chain != null; chain = queue.pop()) {
            queue.push(chain.head(), serve(chain.descriptors()));
            any = true;
        }
        return any;
    }

    /** Serves one request; returns the bytes written into the guest's buffers. */
    private int serve(List<Descriptor> d) {
        Descriptor statusDesc = d.getLast();
        if (d.size() < 2 || !statusDesc.deviceWrites() || statusDesc.length() < 1
                || d.getFirst().deviceWrites() || d.getFirst().length() < 16) {
            LOG.warn("virtio-blk: malformed request of {} descriptors", d.size());
            return 0;
        }
        List<Descriptor> data = d.subList(1, d.size() - 1);
        MemorySegment statusByte;
        try {
            statusByte = memory.slice(statusDesc.address(), 1);
            memory.read(d.getFirst().address(), header);
        } catch (GuestMemoryException e) {
            LOG.warn("virtio-blk: {}", e.getMessage());
            return 0;
        }
        int type = header.get(ValueLayout.JAVA_INT_UNALIGNED, 0);
        long sector = header.get(ValueLayout.JAVA_LONG_UNALIGNED, 8);
        int written = 0;
        byte result;
        try {
            written = switch (type) {
                case T_IN -> transfer(sector, data, true);
                case T_OUT -> transfer(sector, data, false);
                case T_FLUSH -> flush();
                case T_GET_ID -> getId(data);
                case T_DISCARD, T_WRITE_ZEROES -> zeroes(data, type == T_DISCARD);
                default -> throw new Unsupported();
            };
            result = S_OK;
        } catch (Unsupported e) {
            result = S_UNSUPP;
        } catch (IOException | GuestMemoryException | IllegalArgumentException e) {
            LOG.warn("virtio-blk: request type {} at sector {}: {}", type, sector, e.getMessage());
            result = S_IOERR;
        }
        statusByte.set(ValueLayout.JAVA_BYTE, 0, result);
        memory.dirty(statusDesc.address(), 1);
        return written + 1;
    }

    /** A request type this device does not offer (or not for this disk). */
    private static final class Unsupported extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unsupported() {
            super(null, null, false, false);
        }
    }

    private int transfer(long sector, List<Descriptor> data, boolean toGuest) throws IOException {
        if (!toGuest && disk.readOnly()) {
            throw new Unsupported();
        }
        long offset = checkedRange(sector, data);
        int moved = 0;
        for (Descriptor b : data) {
            if (b.deviceWrites() != toGuest) {
                throw new IllegalArgumentException("data buffer direction does not match the request");
            }
            MemorySegment guest = memory.slice(b.address(), Integer.toUnsignedLong(b.length()));
            if (toGuest) {
                disk.read(offset, guest);
                memory.dirty(b.address(), guest.byteSize());
                moved += b.length();
            } else {
                disk.write(offset, guest);
            }
            offset += guest.byteSize();
        }
        return moved;
    }

    /** The byte offset of a transfer, after checking it is sector-sized and inside the disk. */
    private long checkedRange(long sector, List<Descriptor> data) {
        long length = 0;
        for (Descriptor b : data) {
            if (Integer.toUnsignedLong(b.length()) % BlockDevice.SECTOR_SIZE != 0) {
                throw new IllegalArgumentException("buffer of " + Integer.toUnsignedLong(b.length()) + " bytes is not whole sectors");
            }
            length += Integer.toUnsignedLong(b.length());
        }
        long sectors = disk.size() / BlockDevice.SECTOR_SIZE;
        if (sector < 0 || sector > sectors || length / BlockDevice.SECTOR_SIZE > sectors - sector) {
            throw new IllegalArgumentException("sectors " + sector + "+" + length / BlockDevice.SECTOR_SIZE + " beyond the disk's " + sectors);
        }
        return sector * BlockDevice.SECTOR_SIZE;
    }

    private int flush() throws IOException {
        disk.flush();
        return 0;
    }

    private int getId(List<Descriptor> data) {
        if (data.isEmpty() || !data.getFirst().deviceWrites()) {
            throw new IllegalArgumentException("GET_ID without a writable buffer");
        }
        Descriptor b = data.getFirst();
        int n = (int) Math.min(ID_BYTES, Integer.toUnsignedLong(b.length()));
        MemorySegment guest = memory.slice(b.address(), n);
        guest.fill((byte) 0);
        MemorySegment.copy(id, 0, guest, ValueLayout.JAVA_BYTE, 0, Math.min(id.length, n));
        memory.dirty(b.address(), n);
        return n;
    }

    /** DISCARD and WRITE_ZEROES: 16-byte segments (sector, sectors, flags); discard may unmap. */
    private int zeroes(List<Descriptor> data, boolean discard) throws IOException {
        if (disk.readOnly()) {
            throw new Unsupported();
        }
        long sectors = disk.size() / BlockDevice.SECTOR_SIZE;
        for (Descriptor b : data) {
            if (b.deviceWrites() || Integer.toUnsignedLong(b.length()) % 16 != 0) {
                throw new IllegalArgumentException("discard/write-zeroes segment buffer is malformed");
            }
            MemorySegment segments = memory.slice(b.address(), Integer.toUnsignedLong(b.length()));
            for (long at = 0; at < segments.byteSize(); at += 16) {
                long start = segments.get(ValueLayout.JAVA_LONG_UNALIGNED, at);
                long count = Integer.toUnsignedLong(segments.get(ValueLayout.JAVA_INT_UNALIGNED, at + 8));
                int flags = segments.get(ValueLayout.JAVA_INT_UNALIGNED, at + 12);
                if (start < 0 || start > sectors || count > sectors - start || count > MAX_ZERO_SECTORS) {
                    throw new IllegalArgumentException("segment " + start + "+" + count + " beyond the disk's " + sectors + " sectors");
                }
                if (count > 0) {
                    disk.writeZeroes(start * BlockDevice.SECTOR_SIZE, count * BlockDevice.SECTOR_SIZE, discard || (flags & 1) != 0);
                }
            }
        }
        return 0;
    }

    @Override
    public String toString() {
        return "virtio-blk(" + disk.path() + ")";
    }
}
