package dev.ferry.vm.linux;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The setup header of a bzImage (Linux/x86 boot protocol, Documentation/arch/x86/boot.rst): the
 * fields a 64-bit boot loader reads, checked so that only a kernel Ferry can enter passes.
 *
 * @param setupSects 512-byte setup sectors after the boot sector (0 in the file means 4)
 * @param version the boot protocol version, e.g. 0x20f for 2.15
 * @param loadflags LOADED_HIGH and friends
 * @param xloadflags XLF_KERNEL_64 and friends
 * @param initrdAddrMax the highest address the initrd may end at (inclusive)
 * @param cmdlineSize the longest command line the kernel takes, without its terminating zero
 * @param initSize the bytes the kernel needs from its load address while it unpacks itself
 * @param headerEnd where the header ends in the file (0x202 plus the jump at 0x201)
 */
public record SetupHeader(int setupSects, int version, int loadflags, int xloadflags, long initrdAddrMax,
                          long cmdlineSize, long initSize, int headerEnd) {

    /** Where the header starts in the file and in boot_params. */
    public static final int START = 0x1f1;
    /** The oldest protocol with a 64-bit entry point: 2.12. */
    public static final int MIN_VERSION = 0x20c;
    /** The 64-bit entry point lies this far into the protected-mode kernel. */
    public static final long ENTRY_64_OFFSET = 0x200;

    private static final int MAGIC = 0x5372_6448; // "HdrS"
    private static final int BOOT_FLAG = 0xaa55;
    private static final int LOADED_HIGH = 0x01;
    private static final int XLF_KERNEL_64 = 0x01;
    private static final int MIN_FILE = 0x270;

    /**
     * Reads and checks the header of {@code image}.
     *
     * @param image the whole bzImage
     * @param name what the bytes are, for messages
     * @return the header
     * @throws IllegalArgumentException in one line naming what is wrong: not a bzImage, a protocol
     *     older than 2.12, no 64-bit entry, or a truncated file
     */
    public static SetupHeader parse(byte[] image, String name) {
        MemorySegment h = MemorySegment.ofArray(image);
        if (image.length < MIN_FILE || u16(h, 0x1fe) != BOOT_FLAG || h.get(ValueLayout.JAVA_INT_UNALIGNED, 0x202) != MAGIC) {
            throw new IllegalArgumentException(name + ": not a Linux kernel (no bzImage setup header 'HdrS')");
        }
        int version = u16(h, 0x206);
        if (version < MIN_VERSION) {
            throw new IllegalArgumentException(String.format("%s: boot protocol %d.%02d is too old: Ferry enters kernels "
                    + "through the 64-bit entry of protocol 2.12 or later", name, version >> 8, version & 0xff));
        }
        int loadflags = u8(h, 0x211);
        int xloadflags = u16(h, 0x236);
        if ((loadflags & LOADED_HIGH) == 0) {
            throw new IllegalArgumentException(name + ": a zImage (loaded low): Ferry boots bzImages only");
        }
        if ((xloadflags & XLF_KERNEL_64) == 0) {
            throw new IllegalArgumentException(name + ": the kernel has no 64-bit entry point (xloadflags lacks XLF_KERNEL_64)");
        }
        int sects = u8(h, 0x1f1) == 0 ? 4 : u8(h, 0x1f1);
        SetupHeader header = new SetupHeader(sects, version, loadflags, xloadflags, u32(h, 0x22c), u32(h, 0x238),
                u32(h, 0x260), 0x202 + u8(h, 0x201));
        if (header.kernelOffset() + ENTRY_64_OFFSET >= image.length || header.headerEnd > header.kernelOffset()) {
            throw new IllegalArgumentException(name + ": truncated: " + image.length + " bytes, the setup header says "
                    + sects + " setup sectors and a kernel after them");
        }
        return header;
    }

    /**
     * Where the protected-mode kernel starts in the file.
     *
     * @return the byte offset after the setup sectors
     */
    public long kernelOffset() {
        return (setupSects + 1L) * 512;
    }

    private static int u8(MemorySegment h, long at) {
        return Byte.toUnsignedInt(h.get(ValueLayout.JAVA_BYTE, at));
    }

    private static int u16(MemorySegment h, long at) {
        return Short.toUnsignedInt(h.get(ValueLayout.JAVA_SHORT_UNALIGNED, at));
    }

    private static long u32(MemorySegment h, long at) {
        return Integer.toUnsignedLong(h.get(ValueLayout.JAVA_INT_UNALIGNED, at));
    }
}
