package dev.ferry.savevm;

/** Where a migration was when it failed: every {@link MigrationException} names one. */
public enum Phase {
    /** Source: writing the header and configuration, setting up live sections. */
    SETUP,
    /** Source: copying while the VM runs. */
    ITERATE,
    /** Source: the VM is paused; last live data and device state are written. */
    DOWNTIME,
    /** Source: waiting for the destination's acknowledgement. */
    HANDSHAKE,
    /** Destination: reading the stream header. */
    HEADER,
    /** Destination: checking the source's configuration against its own. */
    CONFIG,
    /** Destination: reading frames and loading sections. */
    LOAD,
    /** Destination: the sections' final checks after the end of the stream. */
    VERIFY
}
