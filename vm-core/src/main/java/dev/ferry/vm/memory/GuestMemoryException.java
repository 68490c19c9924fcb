package dev.ferry.vm.memory;

/** A guest address (usually from a device descriptor the guest wrote) that is not RAM. */
public final class GuestMemoryException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /**
     * The range {@code gpa + length} is not wholly inside one RAM region.
     *
     * @param gpa guest physical address of the range
     * @param length bytes in the range
     */
    public GuestMemoryException(long gpa, long length) {
        super(String.format("guest range 0x%x+0x%x is not guest RAM", gpa, length));
    }
}
