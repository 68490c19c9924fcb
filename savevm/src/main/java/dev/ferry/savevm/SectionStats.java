package dev.ferry.savevm;

/**
 * One live section's progress. {@code remainingBytes} is the section's last pending estimate;
 * {@code transferredBytes} counts the frames sent for it, framing included.
 *
 * @param id the section
 * @param transferredBytes frame bytes sent for this section so far
 * @param remainingBytes the section's last pending estimate
 */
public record SectionStats(SectionId id, long transferredBytes, long remainingBytes) {

    /**
     * What has been and is still to be sent: grows when the guest dirties faster than we copy.
     *
     * @return transferred plus remaining bytes
     */
    public long totalBytes() {
        return transferredBytes + remainingBytes;
    }
}
