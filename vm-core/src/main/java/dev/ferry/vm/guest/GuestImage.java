package dev.ferry.vm.guest;

import dev.ferry.vm.memory.GuestMemory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * Ferry's built-in guest: a flat image whose header (layout in src/main/guest/README.md) says
 * where it loads, where it starts and where its config and status blocks are. The VMM copies it
 * to {@link #loadAddress()}, zeroes the rest of the guest's own memory, writes a
 * {@link GuestConfig}, and enters {@link #entry()} in 64-bit mode at CPL0 with {@link #cr3()} and
 * {@link #stackPointer()}.
 *
 * @param bytes the image file, loaded from offset 0 at {@code loadAddress}
 * @param loadAddress guest physical address of the image's first byte
 * @param entry guest physical address of the 64-bit entry point
 * @param cr3 the initial page-table root: an identity map of the first 4 GiB
 * @param stackPointer the initial ring-0 stack top
 * @param configAddress guest physical address of the config block
 * @param statusAddress guest physical address of the status block
 * @param imageEnd where the guest's own memory ends
 * @param mappedLimit the end of the identity map
 */
public record GuestImage(byte[] bytes, long loadAddress, long entry, long cr3, long stackPointer,
                         long configAddress, long statusAddress, long imageEnd, long mappedLimit) {

    /** The class-path resource the vm-core build produces. */
    public static final String RESOURCE = "ferry-guest.bin";
    /** The header version this class reads. */
    public static final int VERSION = 1;
    private static final String MAGIC = "FERRYGST";
    private static final int HEADER_BYTES = 0x50;

    /** Copies the bytes. */
    public GuestImage {
        bytes = bytes.clone();
    }

    /**
     * The image file's bytes, as a copy.
     *
     * @return the bytes
     */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /**
     * The image built into vm-core.
     *
     * @return the image
     * @throws IllegalStateException if vm-core was built without the image
     * @throws UncheckedIOException if the resource cannot be read
     */
    public static GuestImage builtIn() {
        try (InputStream in = GuestImage.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("guest image resource " + RESOURCE + " missing: vm-core was built without it");
            }
            return parse(in.readAllBytes(), RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read guest image " + RESOURCE, e);
        }
    }

    /**
     * Parses and checks a guest image.
     *
     * @param image the image file's bytes
     * @param name what the bytes are, for error messages
     * @return the checked image
     * @throws IllegalArgumentException naming the bad header field
     */
    public static GuestImage parse(byte[] image, String name) {
        if (image.length < HEADER_BYTES) {
            throw new IllegalArgumentException(name + ": " + image.length + " bytes, shorter than the guest header");
        }
        MemorySegment h = MemorySegment.ofArray(image);
        if (!new String(image, 0, 8, StandardCharsets.US_ASCII).equals(MAGIC)) {
            throw new IllegalArgumentException(name + ": magic is not " + MAGIC);
        }
        int version = h.get(ValueLayout.JAVA_INT_UNALIGNED, 0x08);
        if (version != VERSION) {
            throw new IllegalArgumentException(name + ": header version " + version + ", expected " + VERSION);
        }
        long load = field(h, 0x10);
        long end = field(h, 0x40);
        long limit = field(h, 0x48);
        GuestImage g = new GuestImage(image, load, field(h, 0x18), field(h, 0x20), field(h, 0x28),
                field(h, 0x30), field(h, 0x38), end, limit);
        long fileEnd = load + image.length;
        check(name, "image end", end >= fileEnd && end <= limit);
        check(name, "entry", g.entry >= load && g.entry < fileEnd);
        check(name, "cr3", g.cr3 % 4096 == 0 && g.cr3 >= load && g.cr3 + 4096 <= fileEnd);
        check(name, "stack pointer", g.stackPointer > load && g.stackPointer <= end);
        check(name, "config address", g.configAddress % 4096 == 0 && g.configAddress >= load && g.configAddress + 4096 <= end);
        check(name, "status address", g.statusAddress % 4096 == 0 && g.statusAddress >= load && g.statusAddress + 4096 <= end);
        return g;
    }

    private static long field(MemorySegment h, long offset) {
        return h.get(ValueLayout.JAVA_LONG_UNALIGNED, offset);
    }

    private static void check(String name, String field, boolean ok) {
        if (!ok) {
            throw new IllegalArgumentException(name + ": header field '" + field + "' points outside the image");
        }
    }

    /**
     * Copies the image to its load address and zeroes the rest of its memory (stacks, blocks).
     *
     * @param memory the guest's RAM, which must hold the image up to {@link #imageEnd()}
     */
    public void loadInto(GuestMemory memory) {
        memory.write(loadAddress, MemorySegment.ofArray(bytes));
        long fileEnd = loadAddress + bytes.length;
        memory.slice(fileEnd, imageEnd - fileEnd).fill((byte) 0);
        memory.dirty(fileEnd, imageEnd - fileEnd);
    }
}
