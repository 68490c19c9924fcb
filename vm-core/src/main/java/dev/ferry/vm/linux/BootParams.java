package dev.ferry.vm.linux;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Linux/x86's {@code struct boot_params} (the "zero page"): the kernel's own setup header copied
 * from the bzImage, with what the boot loader fills in: loader type, command line, initrd and the
 * e820 memory map.
 */
final class BootParams {

    static final int SIZE = 4096;
    private static final int EXT_RAMDISK_IMAGE = 0x0c0;
    private static final int EXT_RAMDISK_SIZE = 0x0c4;
    private static final int EXT_CMD_LINE_PTR = 0x0c8;
    private static final int E820_ENTRIES = 0x1e8;
    private static final int VID_MODE = 0x1fa;
    private static final int TYPE_OF_LOADER = 0x210;
    private static final int RAMDISK_IMAGE = 0x218;
    private static final int RAMDISK_SIZE = 0x21c;
    private static final int CMD_LINE_PTR = 0x228;
    private static final int E820_TABLE = 0x2d0;
    private static final int E820_MAX = 128;
    private static final int E820_ENTRY_BYTES = 20;
    /** "Undefined" boot loader: the kernel asks nothing more of it. */
    private static final int LOADER_UNDEFINED = 0xff;
    private static final short VGA_NORMAL = (short) 0xffff;

    /** One e820 range: type 1 is RAM, 2 reserved. */
    record E820(long address, long size, int type) {
        static final int RAM = 1;
        static final int RESERVED = 2;
    }

    private BootParams() {
    }

    /**
     * The zero page for {@code image}, with its command line at {@code cmdlineAddress} and the
     * memory map {@code e820}.
     */
    static byte[] build(LinuxImage image, long cmdlineAddress, List<E820> e820) {
        if (e820.size() > E820_MAX) {
            throw new IllegalArgumentException(e820.size() + " e820 entries, boot_params holds " + E820_MAX);
        }
        ByteBuffer b = ByteBuffer.allocate(SIZE).order(ByteOrder.LITTLE_ENDIAN);
        SetupHeader header = image.header();
        b.put(SetupHeader.START, image.kernel(), SetupHeader.START, header.headerEnd() - SetupHeader.START);
        b.putShort(VID_MODE, VGA_NORMAL);
        b.put(TYPE_OF_LOADER, (byte) LOADER_UNDEFINED);
        b.putInt(CMD_LINE_PTR, (int) cmdlineAddress).putInt(EXT_CMD_LINE_PTR, (int) (cmdlineAddress >>> 32));
        b.putInt(RAMDISK_IMAGE, (int) image.initrdAddress()).putInt(EXT_RAMDISK_IMAGE, (int) (image.initrdAddress() >>> 32));
        b.putInt(RAMDISK_SIZE, image.initrd().length).putInt(EXT_RAMDISK_SIZE, 0);
        b.put(E820_ENTRIES, (byte) e820.size());
        for (int i = 0; i < e820.size(); i++) {
            E820 e = e820.get(i);
            int at = E820_TABLE + i * E820_ENTRY_BYTES;
            b.putLong(at, e.address()).putLong(at + 8, e.size()).putInt(at + 16, e.type());
        }
        return b.array();
    }
}
