package dev.ferry.savevm;

import dev.ferry.savevm.destination.StreamLoader;
import java.util.Objects;
import java.util.Optional;

/**
 * The destination side of a migration: reads the stream into a VM that is not running. It checks
 * the header, then the source's configuration (before any state is applied), then loads sections
 * frame by frame and, after EOF, runs every section's verification. Only when it returns normally
 * may the caller start the VM; on any error it throws, after sending NACK with the reason on the
 * return path if there is one, and the VM must stay stopped. It never starts or resumes the VM.
 */
public final class IncomingMigration {

    private IncomingMigration() {
    }

    /**
     * Receives a migration into the sections of {@code registry}, blocking until the stream ends.
     * Every registered section must be in the stream; the channel is closed at the end.
     *
     * @param <C> the configuration record type
     * @param registry the destination's sections, registered before the call
     * @param configType the configuration record type both sides use
     * @param check judges the source's configuration
     * @param channel readable and open; with a writable side the destination answers the configuration and
     *         acknowledges the end
     * @return what was received
     * @throws MigrationException naming the phase and the problem
     */
    public static <C extends Record> IncomingStats receive(SectionRegistry registry, Class<C> configType,
                                                           ConfigCheck<C> check, MigrationChannel channel)
            throws MigrationException {
        return receive(registry, configType, check, channel, Optional.empty());
    }

    /**
     * Like {@link #receive(SectionRegistry, Class, ConfigCheck, MigrationChannel)}; with
     * {@code resume}, a link that breaks during the live copy (after the configuration was
     * accepted, before EOF) does not fail: the sections stay as they are, and the migration goes
     * on over the next link {@code resume} returns, once its source accepted what this side holds.
     *
     * @param <C> the configuration record type
     * @param registry the destination's sections, registered before the call
     * @param configType the configuration record type both sides use
     * @param check judges the source's configuration
     * @param channel readable and open
     * @param resume waits for the next link and says what this side holds; empty: a break fails
     * @return what was received, over every link
     * @throws MigrationException naming the phase and the problem
     */
    public static <C extends Record> IncomingStats receive(SectionRegistry registry, Class<C> configType,
                                                           ConfigCheck<C> check, MigrationChannel channel,
                                                           Optional<IncomingResume> resume) throws MigrationException {
        return receive(registry, configType, check, channel, resume, () -> { });
    }

    /**
     * Like {@link #receive(SectionRegistry, Class, ConfigCheck, MigrationChannel, Optional)};
     * {@code acknowledged} runs right after the acknowledgement went out, before the link is
     * closed and the debug lines about the downtime are written: the place to start the VM, whose
     * guest stays paused from the ACK until then (the source's downtime ends at the ACK). What it
     * throws is thrown as it is: the source stopped for good at the ACK, so no refusal follows.
     *
     * @param <C> the configuration record type
     * @param registry the destination's sections, registered before the call
     * @param configType the configuration record type both sides use
     * @param check judges the source's configuration
     * @param channel readable and open
     * @param resume waits for the next link and says what this side holds; empty: a break fails
     * @param acknowledged starts the VM, right after the ACK
     * @return what was received, over every link
     * @throws MigrationException naming the phase and the problem
     */
    public static <C extends Record> IncomingStats receive(SectionRegistry registry, Class<C> configType,
                                                           ConfigCheck<C> check, MigrationChannel channel,
                                                           Optional<IncomingResume> resume, Runnable acknowledged)
            throws MigrationException {
        Objects.requireNonNull(acknowledged, "acknowledged");
        Objects.requireNonNull(configType, "configType");
        Objects.requireNonNull(check, "check");
        if (channel.readable().isEmpty()) {
            throw new IllegalArgumentException("the destination needs a readable migration channel");
        }
        channel.requireOpen();
        return new StreamLoader<>(registry, configType, check, channel, resume).run(acknowledged);
    }
}
