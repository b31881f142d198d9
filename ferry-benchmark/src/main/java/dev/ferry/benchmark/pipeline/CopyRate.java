package dev.ferry.benchmark.pipeline;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

import org.bson.Document;

import com.mongodb.client.MongoCollection;

import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.mongodb.relay.MongoCheckpointStore;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * How fast a relay copies history it never streamed: {@code events} commits are stored before any relay runs, then
 * one relay process (the deployed JVM options) starts with {@code relay.start: earliest}. The copy's duration runs
 * from its first checkpoint (the noted stream position, written before the first page) to the checkpoint that marks
 * it complete, so the JVM's start-up is not counted; checkpoints are written about once a second, which bounds the
 * error. Every run is a fresh stack, repeated {@code repeat} times.
 */
public final class CopyRate {

    /** The relay checkpoints about once a second; finer polling would not make the end sharper. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    /**
     * One run.
     *
     * @param perSecond            commits copied per second
     * @param liveLeaderStepDowns  step-downs the copying relay logged while alive ({@link
     *                             dev.ferry.benchmark.process.LeaderStepDowns}), from its start to the copy's end
     * @param latency              with a writer: the stream's latency during the copy (commits are copied before
     *                             streaming: the stream waits)
     * @param afterCopy            with a writer: the stream's latency in the {@link StreamProbe#AFTER_COPY} after it
     */
    public record Run(double perSecond, long liveLeaderStepDowns, Optional<StreamLatency> latency,
                      Optional<StreamLatency> afterCopy) {
    }

    private final FerryLauncher launcher;
    private final Path logs;
    private final PrintStream progress;

    public CopyRate(FerryLauncher launcher, Path logs, PrintStream progress) {
        this.launcher = launcher;
        this.logs = logs;
        this.progress = progress;
    }

    /**
     * Each run, in run order.
     *
     * @param leaseTtl the copying relay's {@code relay.leaseTtl}; empty: the relay's default
     */
    public List<Run> run(int events, int repeat, Optional<Duration> leaseTtl) throws Exception {
        return run(events, repeat, leaseTtl, 0);
    }

    /**
     * Each run, in run order; with {@code writesPerSecond} above 0, a writer appends one-event commits (of new
     * aggregates, their payload a probe number) at that rate from the relay's start, and a {@link StreamProbe} on the
     * topic measures the stream's latency during the copy and after it: the contrast to an entity copy, which runs
     * alongside the stream. The writer adds to the copy's load, so its rate is not today's figure then.
     */
    public List<Run> run(int events, int repeat, Optional<Duration> leaseTtl, int writesPerSecond) throws Exception {
        List<Run> runs = new ArrayList<>();
        for (int run = 1; run <= repeat; run++) {
            Path runLogs = logs.resolve("copy-" + run);
            try (ProductionLayout layout = new ProductionLayout(launcher, runLogs, Math.max(10_000, events / 10), 5,
                progress)) {
                storeHistory(layout.database().getCollection("events"), events);
                progress.printf("copy run %d: relay.leaseTtl %s%s%n", run,
                    leaseTtl.map(ttl -> ttl.toMillis() + " ms").orElse("the relay's default"),
                    writesPerSecond > 0 ? "; appending " + writesPerSecond + " commits/s from the relay's start" : "");
                try (StreamProbe probe = writesPerSecond > 0 ? new StreamProbe(layout.bootstrapServers(),
                    ProductionLayout.TOPIC, false, probeCommits(layout.store()), writesPerSecond) : null) {
                    long stepDownsBefore = layout.leaderStepDowns();
                    layout.startCopyingRelay(leaseTtl);
                    if (probe != null) {
                        probe.startWriting();
                    }
                    MongoCheckpointStore checkpoints = new MongoCheckpointStore(layout.database(), "ferry_leases");
                    long started = awaitProgress(checkpoints, "events", false);
                    long ended = awaitProgress(checkpoints, "events", true);
                    double seconds = (ended - started) / 1e9;
                    double rate = events / seconds;
                    long stepDowns = layout.leaderStepDowns() - stepDownsBefore;
                    progress.printf(Locale.ROOT, "copy run %d: %,d commits in %.1f s, %,.0f/s; the relay stepped down "
                        + "%d times while alive%n", run, events, seconds, rate, stepDowns);
                    Optional<StreamProbe.Result> stream = Optional.empty();
                    if (probe != null) {
                        stream = Optional.of(probe.finish(started, ended, runLogs.resolve("stream-latency.csv")));
                        progress.printf("copy run %d: %s%n", run, stream.get().describe());
                    }
                    runs.add(new Run(rate, stepDowns, stream.map(StreamProbe.Result::during),
                        stream.map(StreamProbe.Result::after)));
                }
            }
        }
        return runs;
    }

    /** The writer's appends: one event per commit, each of an aggregate of its own (no version to coordinate). */
    private static LongConsumer probeCommits(MongoEventStore store) {
        String notes = "x".repeat(200);
        return probe -> store.append(ProductionLayout.AGGREGATE_TYPE, "probe-" + probe, 0, List.of(new NewEvent(
            "PatientProbed", "{\"" + ProbeWriter.PROBE + "\":" + probe + ",\"notes\":\"" + notes + "\"}")));
    }

    /**
     * The time at which the copy of {@code source} first is in a checkpoint ({@code complete} false) or first is
     * complete in one.
     */
    static long awaitProgress(MongoCheckpointStore checkpoints, String source, boolean complete) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(30);
        while (System.nanoTime() < deadline) {
            Optional<CheckpointStore.CopyProgress> progress = checkpoints.load(ProductionLayout.RELAY_NAME)
                .map(checkpoint -> checkpoint.copies().get(source));
            if (progress.isPresent() && (!complete || progress.get().complete())) {
                return System.nanoTime();
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        throw new IllegalStateException("the relay's copy did not " + (complete ? "complete" : "start")
            + " within 30 minutes");
    }

    /** One-event commits as the documented contract has them, 50 versions per aggregate, written in bulk. */
    public static void storeHistory(MongoCollection<Document> commits, int events) {
        int aggregates = Math.max(1, events / 50);
        List<Document> batch = new ArrayList<>();
        Date at = new Date();
        for (long version = 1, stored = 0; stored < events; version++) {
            for (int n = 0; n < aggregates && stored < events; n++, stored++) {
                String id = ProductionLayout.AGGREGATE_TYPE + "-" + n;
                batch.add(new Document("aggregateType", ProductionLayout.AGGREGATE_TYPE).append("aggregateId", id)
                    .append("firstVersion", version).append("lastVersion", version).append("committedAt", at)
                    .append("events", List.of(new Document("eventId", UUID.randomUUID().toString())
                        .append("version", version).append("eventType", "PatientUpdated").append("timestamp", at)
                        .append("payload", new Document("ward", (int) (version % 19)).append("notes", "x".repeat(200))))));
                if (batch.size() == 1_000) {
                    commits.insertMany(batch);
                    batch.clear();
                }
            }
        }
        if (!batch.isEmpty()) {
            commits.insertMany(batch);
        }
    }
}
