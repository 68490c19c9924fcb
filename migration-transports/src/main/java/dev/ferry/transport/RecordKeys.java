package dev.ferry.transport;

import java.nio.ByteBuffer;
import javax.crypto.SecretKey;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLKeyException;
import javax.net.ssl.SSLSession;

/**
 * The AES keys of the sealed records that carry a TLS migration stream after its handshake, drawn
 * from the session's keying-material exporter (RFC 8446 section 7.5): only the two peers of that
 * handshake, each verified by its certificate, can derive them. Each direction has its own keys, and
 * a new key every {@link SealedRecords#RECORDS_PER_KEY} records, so no key ever seals more than
 * {@code RECORDS_PER_KEY * MAX_PAYLOAD} bytes (64 GiB, under TLS 1.3's own limit for AES-GCM).
 *
 * <p>The exporter's context is the direction byte then the key's epoch (big-endian long): distinct
 * contexts give independent keys. The label starts with {@code EXPERIMENTAL}, the prefix RFC 5705
 * leaves for unregistered use.
 */
final class RecordKeys {

    static final String LABEL = "EXPERIMENTAL-ferry-migration-records";

    /** Which way a record travels: the TLS client is the source. */
    enum Direction {
        SOURCE_TO_DESTINATION, DESTINATION_TO_SOURCE
    }

    private final ExtendedSSLSession session;
    private final int keyBytes;

    private RecordKeys(ExtendedSSLSession session, int keyBytes) {
        this.session = session;
        this.keyBytes = keyBytes;
    }

    /** The keys of a finished TLS 1.3 handshake; AES-256 when the handshake chose it, else AES-128. */
    static RecordKeys of(SSLSession session) {
        if (!(session instanceof ExtendedSSLSession extended) || !"TLSv1.3".equals(session.getProtocol())) {
            throw new IllegalStateException("sealed records need a TLS 1.3 session, not " + session.getProtocol());
        }
        return new RecordKeys(extended, session.getCipherSuite().contains("AES_256") ? 32 : 16);
    }

    /** One direction's keys, as its {@link RecordCipher} asks for them. */
    RecordCipher.Keys of(Direction direction) {
        return epoch -> key(direction, epoch);
    }

    /** The key for records {@code epoch * RECORDS_PER_KEY} and on, one way. */
    SecretKey key(Direction direction, long epoch) throws SSLKeyException {
        byte[] context = ByteBuffer.allocate(Byte.BYTES + Long.BYTES).put((byte) direction.ordinal()).putLong(epoch).array();
        return session.exportKeyingMaterialKey("AES", LABEL, context, keyBytes);
    }
}
