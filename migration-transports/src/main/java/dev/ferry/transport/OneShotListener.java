package dev.ferry.transport;

import java.io.IOException;
import java.time.Duration;

/**
 * The incoming side of {@code fd:} and {@code exec:}: there is no connection to wait for, so
 * {@link #accept} opens the channel at once, and only once.
 */
final class OneShotListener implements MigrationListener {

    /** Opens the incoming channel. */
    @FunctionalInterface
    interface Opener {
        MigrationChannel open() throws IOException;
    }

    private final MigrationUri uri;
    private final Opener opener;
    private boolean used;

    OneShotListener(MigrationUri uri, Opener opener) {
        this.uri = uri;
        this.opener = opener;
    }

    @Override
    public MigrationUri uri() {
        return uri;
    }

    @Override
    public MigrationUri boundUri() {
        return uri;
    }

    @Override
    public synchronized MigrationChannel accept(Duration timeout) throws IOException {
        if (used) {
            throw new TransportException(uri, "already accepted or closed: a listener hands over one channel");
        }
        used = true;
        return opener.open();
    }

    @Override
    public synchronized void close() {
        used = true;
    }
}
