package dev.ferry.savevm.destination;

import dev.ferry.savevm.ConfigCheck;
import dev.ferry.savevm.FrameChecksumWarmUp;
import dev.ferry.savevm.FrameKind;
import dev.ferry.savevm.IncomingResume;
import dev.ferry.savevm.IncomingStats;
import dev.ferry.savevm.LiveSection;
import dev.ferry.savevm.MigrationChannel;
import dev.ferry.savevm.MigrationException;
import dev.ferry.savevm.Phase;
import dev.ferry.savevm.Section;
import dev.ferry.savevm.SectionId;
import dev.ferry.savevm.SectionRegistry;
import dev.ferry.savevm.StateSection;
import dev.ferry.savevm.codec.StateCodec;
import dev.ferry.savevm.stream.DowntimeLog;
import dev.ferry.savevm.stream.Frame;
import dev.ferry.savevm.stream.FrameChecksum;
import dev.ferry.savevm.stream.FrameInput;
import dev.ferry.savevm.stream.FrameReader;
import dev.ferry.savevm.stream.HangUp;
import dev.ferry.savevm.stream.LinkBrokenException;
import dev.ferry.savevm.stream.ProgressReport;
import dev.ferry.savevm.stream.SectionDescriptor;
import dev.ferry.savevm.stream.StreamFormat;
import dev.ferry.savevm.stream.Watchdog;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiver state machine of docs/stream-format.md: HEADER, CONFIG, then section frames until
 * EOF, then verification and ACK. With a return path it answers the configuration (ACK or NACK)
 * before it reads any section frame. A section index is opened by START or FULL, which name the
 * section; PART and END refer to an open live section; anything out of that order is refused.
 * With an {@link IncomingResume}, a link that breaks after the configuration was accepted and
 * before EOF keeps every section as it is; the loader waits for the next link, tells the source
 * what it holds (RESUME) and, once the source answers ACK, reads on where it was.
 */
public final class StreamLoader<C extends Record> {

    private static final Logger LOG = LoggerFactory.getLogger(StreamLoader.class);
    /** How long a refusing destination waits for the source to hang up before it closes the link. */
    static final Duration LINGER = Duration.ofSeconds(2);

    private final SectionRegistry registry;
    private final Class<C> configType;
    private final ConfigCheck<C> check;
    /** Narrowed after the configuration to a resume that is {@link IncomingResume#possible}. */
    private Optional<IncomingResume> resume;
    /** The current link and its stream: replaced when a broken migration resumes. */
    private MigrationChannel channel;
    private FrameReader reader;
    /** Bytes read on earlier links. */
    private long earlierBytes;
    private final Map<Integer, Opened> opened = new HashMap<>();
    private final Set<Section> loaded = new LinkedHashSet<>();
    /** The return path, one for its whole sequence (config reply, PROGRESS reports, then ACK or NACK). */
    private ReturnPath replies;
    /** Whether the source reads PROGRESS reports (its minor version). */
    private boolean reports;
    /** Whether this side offered XXH3-64 frames in the configuration's ACK (it has a return path). */
    private boolean offersXxh3;
    private long frames;
    /** Stream bytes applied so far (the reports' thread reads it). */
    private volatile long applied;
    /** The sections' timings inside the guest's downtime, logged once this side answered. */
    private final DowntimeLog downtimeLog = new DowntimeLog(LOG);

    /** A section index the stream opened: which section, at which stream version, whether ended. */
    private static final class Opened {
        final Section section;
        final SectionId streamId;
        boolean ended;

        Opened(Section section, SectionId streamId) {
            this.section = section;
            this.streamId = streamId;
        }
    }

    public StreamLoader(SectionRegistry registry, Class<C> configType, ConfigCheck<C> check, MigrationChannel channel,
                        Optional<IncomingResume> resume) {
        this.registry = registry;
        this.configType = configType;
        this.check = check;
        this.channel = channel;
        this.resume = resume;
    }

    /**
     * Receives the migration; {@code acknowledged} runs right after this side sent its ACK,
     * before it lets go of the link and writes its kept debug lines: the caller's VM, paused
     * until it starts, starts there. What it throws reaches the caller as it is (the source has
     * stopped for good by then: no NACK follows an ACK).
     */
    public IncomingStats run(Runnable acknowledged) throws MigrationException {
        IncomingStats stats;
        try {
            stats = receive();
            acknowledged.run();
        } finally {
            downtimeLog.flush();
            closeLink();
        }
        return stats;
    }

    private IncomingStats receive() throws MigrationException {
        long start = System.nanoTime();
        FrameChecksumWarmUp.streamBegins();
        reader = new FrameReader(channel.readable().orElseThrow(), StreamFormat.MAX_PAYLOAD);
        try {
            int sourceMinor = readHeader(reader);
            readConfig(reader);
            reports = sourceMinor >= StreamFormat.MINOR_PROGRESS;
            List<String> offers = new ArrayList<>();
            if (reports) {
                offers.add(StreamFormat.REPORTS_PROGRESS);
            }
            resume = resume.filter(IncomingResume::possible);
            resume.ifPresent(waiting -> offers.add(StreamFormat.WAITS_FOR_RESUME));
            // This side checks either checksum; the source picks what its CPU computes faster.
            offersXxh3 = channel.writable().isPresent();
            if (offersXxh3) {
                offers.add(StreamFormat.ACCEPTS_XXH3);
            }
            reply(FrameKind.ACK, StreamFormat.answer(offers));
            acceptOffered(reader);
            startReports();
            registry.sections().forEach(section -> {
                if (section instanceof StateSection<?> state) {
                    StateCodec.prepare(state.stateType());
                }
            });
            loadUntilEof();
            if (replies != null) {
                replies.stopReports();
            }
            verify();
            reply(FrameKind.ACK, "");
            return new IncomingStats(earlierBytes + reader.bytesRead(), frames, loaded.size(),
                    Duration.ofNanos(System.nanoTime() - start));
        } catch (MigrationException e) {
            refuse(e.getMessage());
            throw e;
        } catch (IOException | RuntimeException e) {
            // An I/O error's message names what failed (the transport's URI, the errno); a runtime
            // exception here is a bug, and its class name is the first clue.
            String cause = e instanceof IOException && e.getMessage() != null ? e.getMessage() : e.toString();
            MigrationException failure = new MigrationException(Phase.LOAD, "reading the migration stream failed: " + cause, e);
            refuse(failure.getMessage());
            throw failure;
        }
    }

    /** Closes the current link; a second call does nothing (a failed reconnect leaves none open). */
    private void closeLink() {
        if (reader == null) {
            return;
        }
        reader.close();
        reader = null;
        if (replies != null) {
            replies.close();
            replies = null;
        }
        closeChannel();
    }

    private void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.debug("closing the migration channel: {}", e.toString());
        }
    }

    /** Loads section frames until EOF, over as many links as a resumable migration needs. */
    private void loadUntilEof() throws IOException {
        while (true) {
            try {
                loadSections(reader);
                return;
            } catch (IOException e) {
                if (resume.isEmpty() || !LinkBrokenException.isBreak(e)) {
                    throw e;
                }
                relink(resume.get(), e.getMessage() != null ? e.getMessage() : e.toString());
            }
        }
    }

    /**
     * Precopy-paused: waits for a source to connect again, tells it what this side holds and
     * returns once it answered ACK. A source that refuses (ABORT) or a link that breaks again
     * before that leaves this side waiting; nothing is written meanwhile.
     */
    private void relink(IncomingResume waiting, String reason) throws IOException {
        LOG.warn("the migration link broke during the live copy ({}): precopy-paused, waiting for the source to resume", reason);
        while (true) {
            earlierBytes += reader.bytesRead();
            closeLink();
            channel = waiting.reconnect(reason);
            reader = new FrameReader(channel.readable().orElseThrow(), StreamFormat.MAX_PAYLOAD);
            acceptOffered(reader);
            try {
                readHeader(reader);
                returnPath().deliver(FrameKind.RESUME, waiting.held());
                Frame answer = reader.next(Phase.LOAD);
                frames++;
                switch (answer.kind()) {
                    case ACK -> {
                        LOG.info("migration resumed");
                        startReports();
                        return;
                    }
                    case ABORT -> reason = "the source refused to resume: " + answer.text();
                    default -> throw new MigrationException(Phase.LOAD, answer.describe() + ": expected ACK or ABORT after RESUME");
                }
            } catch (IOException e) {
                if (!LinkBrokenException.isBreak(e)) {
                    throw e;
                }
                reason = e.getMessage() != null ? e.getMessage() : e.toString();
            }
            LOG.warn("precopy-paused: {}", reason);
        }
    }

    /** The offer made in the configuration's ACK holds for the migration, on every link. */
    private void acceptOffered(FrameReader reader) {
        if (offersXxh3) {
            reader.accept(FrameChecksum.XXH3_64);
        }
    }

    private Frame next(FrameReader reader, Phase phase) throws IOException {
        Frame frame = reader.next(phase);
        frames++;
        if (frame.kind() == FrameKind.ABORT) {
            throw new MigrationException(phase, StreamFormat.SOURCE_ABORTED + frame.text());
        }
        return frame;
    }

    /** Reads the HEADER frame; returns the source's minor version. */
    private int readHeader(FrameReader reader) throws IOException {
        Frame frame;
        try {
            frame = next(reader, Phase.HEADER);
        } catch (MigrationException e) {
            throw new MigrationException(Phase.HEADER, "not a Ferry migration stream (or a corrupt header): " + e.getMessage(), e);
        }
        MemorySegment payload = frame.payload();
        int magic = StreamFormat.MAGIC.length;
        if (frame.kind() != FrameKind.HEADER || payload.byteSize() < magic + 4
                || !Arrays.equals(payload.asSlice(0, magic).toArray(ValueLayout.JAVA_BYTE), StreamFormat.MAGIC)) {
            throw new MigrationException(Phase.HEADER, "not a Ferry migration stream: the first frame is "
                    + frame.kind() + " without the FERRYMIG magic");
        }
        int major = Short.toUnsignedInt(payload.get(StreamFormat.SHORT, magic));
        int minor = Short.toUnsignedInt(payload.get(StreamFormat.SHORT, magic + 2));
        if (major != StreamFormat.MAJOR) {
            throw new MigrationException(Phase.HEADER, "stream format version " + major + "." + minor
                    + " is not supported: this build reads major version " + StreamFormat.MAJOR);
        }
        return minor;
    }

    private void readConfig(FrameReader reader) throws IOException {
        Frame frame = next(reader, Phase.CONFIG);
        if (frame.kind() != FrameKind.CONFIG) {
            throw new MigrationException(Phase.CONFIG, frame.describe() + ": expected the CONFIG frame right after the header");
        }
        C source = StateCodec.decode(configType, frame.payload().asByteBuffer(), Phase.CONFIG);
        long started = System.nanoTime();
        try {
            check.check(source);
            LOG.debug("configuration checked in {} µs", (System.nanoTime() - started) / 1000);
        } catch (MigrationException e) {
            throw e;
        } catch (IOException e) {
            throw new MigrationException(Phase.CONFIG, e.getMessage() != null ? e.getMessage() : e.toString(), e);
        } catch (RuntimeException e) {
            throw new MigrationException(Phase.CONFIG, "configuration check failed: " + e.getMessage(), e);
        }
    }

    private void loadSections(FrameReader reader) throws IOException {
        while (true) {
            Frame frame = next(reader, Phase.LOAD);
            switch (frame.kind()) {
                case START, FULL -> open(frame);
                case PART, END -> continueSection(frame);
                case EOF -> {
                    finishStream(frame);
                    return;
                }
                default -> throw new MigrationException(Phase.LOAD, frame.describe() + ": not allowed in the section stream");
            }
            applied = reader.bytesRead();
            if (replies != null) {
                replies.nudge();
            }
        }
    }

    private void open(Frame frame) throws IOException {
        if (frame.index() <= 0) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section index must be positive");
        }
        if (opened.containsKey(frame.index())) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section index " + frame.index()
                    + " was already opened by " + opened.get(frame.index()).streamId);
        }
        SectionId streamId = SectionDescriptor.read(frame);
        Section section = registry.find(streamId.idstr(), streamId.instance()).orElseThrow(() -> new MigrationException(
                Phase.LOAD, frame.describe() + ": unknown section " + streamId + " (not registered on the destination)"));
        if (loaded.contains(section)) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section " + streamId + " sent twice");
        }
        boolean live = frame.kind() == FrameKind.START;
        if (live != (section instanceof LiveSection)) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section " + streamId + " is "
                    + (live ? "a state section here but was sent as live" : "a live section here but was sent as state"));
        }
        if (!section.acceptsVersion(streamId.version())) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section " + streamId.idstr() + " instance "
                    + streamId.instance() + " has version " + streamId.version() + ", which this build (version "
                    + section.id().version() + ") cannot load");
        }
        Opened entry = new Opened(section, streamId);
        opened.put(frame.index(), entry);
        loaded.add(section);
        MemorySegment data = frame.payload().asSlice(SectionDescriptor.size(streamId));
        if (section instanceof LiveSection liveSection) {
            load(frame, entry, in -> liveSection.load(FrameKind.START, in, streamId.version()), data);
        } else {
            long started = System.nanoTime();
            load(frame, entry, in -> loadState((StateSection<?>) section, in, streamId.version()), data);
            downtimeLog.add("section {}: state loaded in {} µs", streamId, (System.nanoTime() - started) / 1000);
        }
        entry.ended = !live;
    }

    private static <S extends Record> void loadState(StateSection<S> section, FrameInput in, int version) throws IOException {
        S state = StateCodec.decode(section.stateType(), in.read(in.remaining()).asByteBuffer(), Phase.LOAD);
        section.load(state, version);
    }

    private void continueSection(Frame frame) throws IOException {
        Opened entry = opened.get(frame.index());
        if (entry == null) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section index " + frame.index() + " was never started");
        }
        if (entry.ended) {
            throw new MigrationException(Phase.LOAD, frame.describe() + ": section " + entry.streamId + " already ended");
        }
        LiveSection section = (LiveSection) entry.section;
        long started = System.nanoTime();
        load(frame, entry, in -> section.load(frame.kind(), in, entry.streamId.version()), frame.payload());
        entry.ended = frame.kind() == FrameKind.END;
        if (entry.ended) {
            downtimeLog.add("section {}: END applied in {} µs", entry.streamId, (System.nanoTime() - started) / 1000);
        }
    }

    /** Runs one section load over {@code data} and names section and frame in any error. */
    private void load(Frame frame, Opened entry, Loader loader, MemorySegment data) throws MigrationException {
        FrameInput in = new FrameInput(data);
        try {
            loader.load(in);
            in.requireConsumed();
        } catch (IOException | RuntimeException e) {
            throw new MigrationException(Phase.LOAD, "section " + entry.streamId + ", " + frame.describe() + ": "
                    + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
        }
    }

    @FunctionalInterface
    private interface Loader {
        void load(FrameInput in) throws IOException;
    }

    private void finishStream(Frame frame) throws MigrationException {
        for (Opened entry : opened.values()) {
            if (!entry.ended) {
                throw new MigrationException(Phase.LOAD, frame.describe() + ": section " + entry.streamId + " started but never ended");
            }
        }
        for (Section section : registry.sections()) {
            if (!loaded.contains(section)) {
                throw new MigrationException(Phase.LOAD, "the stream ended without section " + section.id()
                        + ", which the destination needs");
            }
        }
    }

    private void verify() throws MigrationException {
        for (Section section : loaded) {
            long started = System.nanoTime();
            try {
                section.verify();
                downtimeLog.add("section {}: verified in {} µs", section.id(), (System.nanoTime() - started) / 1000);
            } catch (IOException | RuntimeException e) {
                throw new MigrationException(Phase.VERIFY, "section " + section.id() + " failed verification: "
                        + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
            }
        }
    }

    /** What {@code live} still owe on what they applied (the reports' thread asks). */
    private static long backlog(List<LiveSection> live) {
        long total = 0;
        for (LiveSection section : live) {
            total += section.backlogBytes();
        }
        return total;
    }

    /** Sends ACK or NACK if there is a return path; a failure to send is only logged. */
    private void reply(FrameKind kind, String reason) {
        if (channel.writable().isEmpty()) {
            return;
        }
        byte[] text = reason.getBytes(StandardCharsets.UTF_8);
        if (replies == null) {
            replies = new ReturnPath(channel.writable().orElseThrow());
        }
        if (kind == FrameKind.NACK) {
            replies.stopReports();
        }
        returnPath().send(kind, Arrays.copyOf(text, Math.min(text.length, StreamFormat.CONTROL_PAYLOAD)));
    }

    /**
     * Sends NACK and, before the link is closed, reads and drops what the source still sends until
     * it hangs up (it does once it read the NACK) or {@link #LINGER} passed ({@link HangUp}): the
     * NACK, held back by Nagle behind an unacknowledged report, would otherwise be lost in a reset
     * and the source would know only "Connection reset".
     */
    private void refuse(String reason) {
        reply(FrameKind.NACK, reason);
        Optional<ReadableByteChannel> in = channel.readable();
        if (in.isEmpty() || channel.writable().isEmpty()) {
            return;
        }
        try (Watchdog watchdog = new Watchdog(LINGER, this::closeChannel)) {
            HangUp.awaitFrom(in.get());
        } catch (IOException e) {
            LOG.debug("stopped reading the refused stream: {}", e.toString());
        }
    }

    /** The current link's return path, made on first use (callers know the link has one). */
    private ReturnPath returnPath() {
        if (replies == null) {
            replies = new ReturnPath(channel.writable().orElseThrow());
        }
        return replies;
    }

    /** With a source that reads them, PROGRESS reports of this link's applied bytes until the stream's end. */
    private void startReports() {
        applied = reader.bytesRead();
        if (reports && channel.writable().isPresent()) {
            // Taken once: every section is registered by the time the configuration was checked, and
            // the registry's lists are built anew (streams, copies) at each call, which made the
            // reports' thread cost more CPU than the loader in a nested KVM.
            List<LiveSection> live = registry.live();
            returnPath().startReports(() -> new ProgressReport(applied, backlog(live)));
        }
    }
}
