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

import org.bson.Document;

import com.mongodb.client.MongoCollection;

import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.mongodb.relay.MongoCheckpointStore;

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
     */
    public record Run(double perSecond, long liveLeaderStepDowns) {
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
        List<Run> runs = new ArrayList<>();
        for (int run = 1; run <= repeat; run++) {
            try (ProductionLayout layout = new ProductionLayout(launcher, logs.resolve("copy-" + run),
                Math.max(10_000, events / 10), 5, progress)) {
                storeHistory(layout.database().getCollection("events"), events);
                progress.printf("copy run %d: relay.leaseTtl %s%n", run,
                    leaseTtl.map(ttl -> ttl.toMillis() + " ms").orElse("the relay's default"));
                long stepDownsBefore = layout.leaderStepDowns();
                layout.startCopyingRelay(leaseTtl);
                MongoCheckpointStore checkpoints = new MongoCheckpointStore(layout.database(), "ferry_leases");
                long started = awaitProgress(checkpoints, "events", false);
                long ended = awaitProgress(checkpoints, "events", true);
                double seconds = (ended - started) / 1e9;
                double rate = events / seconds;
                long stepDowns = layout.leaderStepDowns() - stepDownsBefore;
                progress.printf(Locale.ROOT, "copy run %d: %,d commits in %.1f s, %,.0f/s; the relay stepped down %d "
                    + "times while alive%n", run, events, seconds, rate, stepDowns);
                runs.add(new Run(rate, stepDowns));
            }
        }
        return runs;
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
