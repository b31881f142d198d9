package dev.ferry.benchmark.pipeline;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.bson.Document;
import org.bson.types.ObjectId;

import com.mongodb.client.MongoCollection;

import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.mongodb.relay.MongoCheckpointStore;

/**
 * How fast a relay copies an entity collection by watermarks, and what the stream's latency is meanwhile (issue 33:
 * such a copy runs alongside the stream, which never pauses). {@code documents} documents of ~300 B are stored before
 * any relay runs; one relay process (the deployed JVM options) starts with that collection as its one source
 * ({@code kind: entities}, {@code initialLoad: copy}), and from its start a {@link ProbeWriter} updates and inserts
 * documents of the same collection at {@code writesPerSecond}. The copy's duration is measured as {@link CopyRate}'s
 * (first checkpoint to the one marking it complete); the stream's latency ({@link StreamLatency}) over the writes
 * issued in that span once the relay published its first record (the stream is live then; writes before it waited for
 * the term to start, not for the copy), from the write to its record read by a consumer of the entity's topic, in the
 * benchmark's process (one clock). Every run is a fresh stack, repeated {@code repeat} times.
 */
public final class EntityCopyRate {

    /** The copied collection: the source's name, and (with the prefix) its entity's topic. */
    static final String COLLECTION = "patients";
    private static final String TOPIC = "ferry." + COLLECTION;
    /** The first probe number in a record's {@code document} (canonical Extended JSON: an Int64). */
    private static final Pattern PROBE = Pattern.compile("\"" + ProbeWriter.PROBE
        + "\"\\s*:\\s*\\{\\s*\"\\$numberLong\"\\s*:\\s*\"(\\d+)\"");
    /** After the writer stops, a record not read within this of the last one read is taken as never coming. */
    private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(3);

    /**
     * One run.
     *
     * @param perSecond           documents stored before the relay started, divided by the copy's duration
     * @param copied              documents the copy published, by its last checkpoint: the stored ones and the writer's
     *                            inserts, less those the stream changed inside a chunk's window (the stream carried them)
     * @param latency             the stream's latency during the copy
     * @param afterCopy           the stream's latency in the {@link #AFTER_COPY} after the copy's end, the same
     *                            writer on the same relay: the contrast
     * @param liveLeaderStepDowns step-downs the copying relay logged while alive, from its start to the copy's end
     */
    public record Run(double perSecond, long copied, StreamLatency latency, StreamLatency afterCopy,
                      long liveLeaderStepDowns) {
    }

    /** How long the writer goes on once the copy is complete: the stream's latency then is the contrast. */
    static final Duration AFTER_COPY = Duration.ofSeconds(5);

    private final FerryLauncher launcher;
    private final Path logs;
    private final PrintStream progress;

    public EntityCopyRate(FerryLauncher launcher, Path logs, PrintStream progress) {
        this.launcher = launcher;
        this.logs = logs;
        this.progress = progress;
    }

    /**
     * Each run, in run order.
     *
     * @param leaseTtl the copying relay's {@code relay.leaseTtl}; empty: the relay's default
     */
    public List<Run> run(int documents, int writesPerSecond, int repeat, Optional<Duration> leaseTtl) throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int run = 1; run <= repeat; run++) {
            try (ProductionLayout layout = new ProductionLayout(launcher, logs.resolve("entity-copy-" + run),
                Math.max(10_000, documents / 10), 5, progress)) {
                runs.add(run(layout, run, documents, writesPerSecond, leaseTtl));
            }
        }
        return runs;
    }

    private Run run(ProductionLayout layout, int run, int documents, int writesPerSecond, Optional<Duration> leaseTtl)
        throws Exception {
        MongoCollection<Document> collection = layout.database().getCollection(COLLECTION);
        List<ObjectId> stored = EntityDocuments.store(collection, documents);
        createCompactedTopic(layout.bootstrapServers());
        Map<Long, Long> seenAt = new ConcurrentHashMap<>();
        AtomicReference<Long> firstRecordAt = new AtomicReference<>();
        try (TopicTail tail = TopicTail.fromEndWithoutGroup(layout.bootstrapServers(), TOPIC, "copy-stream-tail",
            Duration.ofMillis(100), record -> {
                long now = System.nanoTime();
                firstRecordAt.compareAndSet(null, now);
                probe(record.value()).ifPresent(probe -> seenAt.putIfAbsent(probe, now));
            });
             ProbeWriter writer = new ProbeWriter(collection, stored, writesPerSecond)) {
            progress.printf("entity copy run %d: %,d documents stored; relay.leaseTtl %s; writing %d/s from the relay's "
                + "start%n", run, documents, leaseTtl.map(ttl -> ttl.toMillis() + " ms").orElse("the relay's default"),
                writesPerSecond);
            long stepDownsBefore = layout.leaderStepDowns();
            layout.startEntityCopyingRelay(COLLECTION, leaseTtl);
            writer.start();
            MongoCheckpointStore checkpoints = new MongoCheckpointStore(layout.database(), "ferry_leases");
            long started = CopyRate.awaitProgress(checkpoints, COLLECTION, false);
            long ended = CopyRate.awaitProgress(checkpoints, COLLECTION, true);
            long stepDowns = layout.leaderStepDowns() - stepDownsBefore;
            long afterCopy = ended + AFTER_COPY.toNanos();
            while (System.nanoTime() - afterCopy < 0) {
                LockSupport.parkNanos(afterCopy - System.nanoTime());
            }
            writer.close();
            awaitRecords(writer, seenAt);
            long copied = checkpoints.load(ProductionLayout.RELAY_NAME).orElseThrow().copies().get(COLLECTION).copied();
            // Writes issued before the relay published anything waited for its term to start (takeover, the
            // producer's first send), which the copy has no part in: the window opens once the stream is live.
            long live = firstRecordAt.get() == null ? ended : firstRecordAt.get();
            long from = live - started > 0 ? live : started;
            StreamLatency latency = StreamLatency.of(writer, seenAt, from, ended);
            StreamLatency after = StreamLatency.of(writer, seenAt, ended, afterCopy);
            writeTimeline(logs.resolve("entity-copy-" + run).resolve("stream-latency.csv"), writer, seenAt, started,
                from, ended);
            double seconds = (ended - started) / 1e9;
            Run result = new Run(documents / seconds, copied, latency, after, stepDowns);
            progress.printf(Locale.ROOT, "entity copy run %d: %,d documents in %.1f s, %,.0f/s (%,d published by the "
                    + "copy); the stream meanwhile (from %.1f s into the copy, its first record): %,d writes (%.0f/s), "
                    + "%,d read from the topic, latency p50 %.0f ms, p99 %.0f ms, max %.0f ms (in the %d s after the copy: "
                    + "p50 %.0f ms, p99 %.0f ms, max %.0f ms); the relay stepped down %d times while alive%n", run,
                documents, seconds, result.perSecond(), copied, (from - started) / 1e9, latency.writes(),
                latency.writesPerSecond(), latency.seen(), latency.p50Millis(), latency.p99Millis(), latency.maxMillis(),
                AFTER_COPY.toSeconds(), after.p50Millis(), after.p99Millis(), after.maxMillis(), stepDowns);
            return result;
        }
    }

    /**
     * The entity's topic, made as Ferry makes it (compacted, the layout's partitions) before the relay runs, so that
     * the tail reads it from its first record on.
     */
    private static void createCompactedTopic(String bootstrapServers) throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(Set.of(new NewTopic(TOPIC, ProductionLayout.PARTITIONS, (short) 1)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT))))
                .all().get(60, TimeUnit.SECONDS);
        }
    }

    /** Waits until every write's record was read, or none came for a while (the rest will not: see StreamLatency). */
    private static void awaitRecords(ProbeWriter writer, Map<Long, Long> seenAt) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        int seen = -1;
        long quietSince = System.nanoTime();
        while (System.nanoTime() - deadline < 0 && System.nanoTime() - quietSince < QUIET_NANOS) {
            int now = seenAt.size();
            if (now != seen) {
                seen = now;
                quietSince = System.nanoTime();
            }
            if (now >= writer.written()) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /**
     * Every write's latency by when it was issued, for a look at where in the copy the slow ones were: seconds from the
     * copy's first checkpoint (negative: before it), whether it counts (issued from {@code from} to the copy's end),
     * milliseconds to its record (empty: never read).
     */
    private static void writeTimeline(Path file, ProbeWriter writer, Map<Long, Long> seenAt, long started, long from,
                                      long ended) throws IOException {
        StringBuilder csv = new StringBuilder("probe,secondsIntoCopy,counted,latencyMillis\n");
        for (long probe = 1; probe <= writer.written(); probe++) {
            OptionalLong issued = writer.sentAt(probe);
            if (issued.isEmpty()) {
                continue;
            }
            Long seen = seenAt.get(probe);
            csv.append(String.format(Locale.ROOT, "%d,%.3f,%s,%s%n", probe, (issued.getAsLong() - started) / 1e9,
                issued.getAsLong() - from >= 0 && issued.getAsLong() - ended <= 0,
                seen == null ? "" : String.format(Locale.ROOT, "%.1f", (seen - issued.getAsLong()) / 1e6)));
        }
        Files.writeString(file, csv);
    }

    /** The probe number of a record's document; empty for a stored document's (0) and a record without one. */
    static OptionalLong probe(byte[] value) {
        if (value == null) {
            return OptionalLong.empty();
        }
        Matcher matcher = PROBE.matcher(new String(value, StandardCharsets.UTF_8));
        if (!matcher.find()) {
            return OptionalLong.empty();
        }
        long probe = Long.parseLong(matcher.group(1));
        return probe > 0 ? OptionalLong.of(probe) : OptionalLong.empty();
    }
}
