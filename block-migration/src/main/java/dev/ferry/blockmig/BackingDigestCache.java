package dev.ferry.blockmig;

import dev.ferry.vm.block.BlockDevice;
import dev.ferry.vm.block.SidecarFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backing identities per version of their files, in memory and in a sidecar file beside the
 * backing file ({@code BACKING.ferry-identity}), so a backing file that did not change is hashed
 * once, not once per migration and side. The key is every file of the backing chain with its
 * device and inode, size, mtime and ctime: a write moves ctime even when mtime is put back
 * ({@code touch -d}), and a replaced file has a new inode.
 *
 * <p>A file changed within the file system's timestamp granularity after it was hashed would keep
 * its key, so an identity is kept on disk only when every file of the chain was last changed
 * {@link #settled} before the hash began. A sidecar that cannot be written (a read-only
 * directory) is skipped; one that does not parse, or whose key differs, is ignored and replaced.
 * Anyone who can write the sidecar can also replace the backing file: the sidecar does not widen
 * who can make a migration accept another backing file.
 */
final class BackingDigestCache {

    static final BackingDigestCache SHARED = new BackingDigestCache(Duration.ofSeconds(2));
    private static final Logger LOG = LoggerFactory.getLogger(BackingDigestCache.class);
    private static final String SUFFIX = ".ferry-identity";
    private static final String FORMAT = "ferry backing identity 1";
    private static final String END = "end";
    private static final HexFormat HEX = HexFormat.of();

    /** One file of a backing chain as the file system describes it now. */
    private record FileVersion(String path, String inode, long size, long mtimeNanos, long ctimeNanos) {

        static FileVersion of(Path file) throws IOException {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            FileTime ctime = (FileTime) Files.getAttribute(file, "unix:ctime");
            return new FileVersion(file.toRealPath().toString(), String.valueOf(attributes.fileKey()), attributes.size(),
                    nanos(attributes.lastModifiedTime()), nanos(ctime));
        }

        Instant changed() {
            return Instant.EPOCH.plusNanos(Math.max(mtimeNanos, ctimeNanos));
        }

        String line() {
            return "file " + inode + " " + size + " " + mtimeNanos + " " + ctimeNanos + " " + path;
        }

        private static long nanos(FileTime time) {
            Instant instant = time.toInstant();
            return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
        }
    }

    private final Duration settled;
    /**
     * Keyed by the chain's header text (what the sidecar is checked against): a String's equals and
     * hashCode are ready in a fresh JVM, where a record's are bootstrapped on first use (about ten
     * classes spun, inside the migration on both sides).
     */
    private final Map<String, BackingIdentity> identities = new ConcurrentHashMap<>();

    /** @param settled how long before a hash the chain's files must have last changed for it to be kept on disk */
    BackingDigestCache(Duration settled) {
        this.settled = settled;
    }

    BackingIdentity identity(BlockDevice backing) throws IOException {
        List<FileVersion> key = versions(backing);
        String header = header(key);
        SidecarFile sidecar = SidecarFile.beside(backing.path(), SUFFIX);
        Optional<BackingIdentity> known = known(backing, header, sidecar);
        if (known.isPresent()) {
            return known.get();
        }
        Instant started = Instant.now();
        BackingIdentity computed = BackingIdentity.compute(backing);
        LOG.info("backing file {}: {} bytes hashed in {} ms on {} threads", backing.path(), computed.size(),
                Duration.between(started, Instant.now()).toMillis(), BackingIdentity.HASH_THREADS);
        if (header.equals(header(versions(backing)))) {
            identities.put(header, computed);
            if (keptFrom(key).isBefore(started)) {
                write(sidecar, header, computed);
            }
        }
        return computed;
    }

    /** The identity of {@code backing}'s current files if this process or the sidecar has it; never hashes. */
    Optional<BackingIdentity> known(BlockDevice backing) throws IOException {
        return known(backing, header(versions(backing)), SidecarFile.beside(backing.path(), SUFFIX));
    }

    private Optional<BackingIdentity> known(BlockDevice backing, String header, SidecarFile sidecar) {
        BackingIdentity remembered = identities.get(header);
        if (remembered != null) {
            return Optional.of(remembered);
        }
        Optional<BackingIdentity> stored = read(sidecar, header);
        if (stored.isPresent()) {
            LOG.info("backing file {}: identity from {} (unchanged since it was hashed)", backing.path(), sidecar.path());
            identities.put(header, stored.get());
        }
        return stored;
    }

    /** The instant from which a hash of {@code backing} begun is kept on disk: its chain's last change plus {@link #settled}. */
    Instant keptFrom(BlockDevice backing) throws IOException {
        return keptFrom(versions(backing));
    }

    private Instant keptFrom(List<FileVersion> chain) {
        Instant changed = Instant.EPOCH;
        for (FileVersion file : chain) {
            changed = file.changed().isAfter(changed) ? file.changed() : changed;
        }
        return changed.plus(settled);
    }

    private static List<FileVersion> versions(BlockDevice device) throws IOException {
        List<FileVersion> chain = new ArrayList<>();
        for (Optional<BlockDevice> layer = Optional.of(device); layer.isPresent(); layer = layer.get().backing()) {
            chain.add(FileVersion.of(layer.get().path()));
        }
        return List.copyOf(chain);
    }

    private static String header(List<FileVersion> key) {
        StringBuilder text = new StringBuilder(FORMAT).append('\n');
        key.forEach(file -> text.append(file.line()).append('\n'));
        return text.toString();
    }

    /** The stored identity if the sidecar holds one for exactly this key ({@code header}) and parses whole. */
    private static Optional<BackingIdentity> read(SidecarFile sidecar, String header) {
        try {
            Optional<String> text = sidecar.read();
            if (text.isEmpty() || !text.get().startsWith(header)) {
                return Optional.empty();
            }
            List<String> lines = text.get().substring(header.length()).lines().toList();
            if (lines.size() < 3 || !lines.getLast().equals(END)) {
                return Optional.empty();
            }
            List<String> regions = lines.subList(2, lines.size() - 1);
            byte[] hashes = new byte[regions.size() * ContentHash.BYTES];
            for (int i = 0; i < regions.size(); i++) {
                String region = regions.get(i);
                if (region.length() != 2 * ContentHash.BYTES) {
                    return Optional.empty();
                }
                // Throws IllegalArgumentException on a character that is not a hex digit.
                System.arraycopy(HEX.parseHex(region), 0, hashes, i * ContentHash.BYTES, ContentHash.BYTES);
            }
            return Optional.of(new BackingIdentity(Long.parseLong(lines.get(0)), Long.parseLong(lines.get(1)), hashes));
        } catch (IOException | IllegalArgumentException e) {
            LOG.debug("{}: not a usable backing identity ({})", sidecar.path(), e.getMessage());
            return Optional.empty();
        }
    }

    private static void write(SidecarFile sidecar, String header, BackingIdentity identity) {
        StringBuilder text = new StringBuilder(header);
        text.append(identity.size()).append('\n').append(identity.regionSize()).append('\n');
        byte[] hashes = identity.xxh3Regions();
        for (int at = 0; at < hashes.length; at += ContentHash.BYTES) {
            text.append(HEX.formatHex(hashes, at, at + ContentHash.BYTES)).append('\n');
        }
        text.append(END).append('\n');
        try {
            sidecar.write(text.toString());
        } catch (IOException e) {
            LOG.debug("{}: backing identity not kept ({})", sidecar.path(), e.getMessage());
        }
    }
}
