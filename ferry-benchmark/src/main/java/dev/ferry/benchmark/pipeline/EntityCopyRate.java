package dev.ferry.benchmark.pipeline;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.bson.Document;
import org.bson.types.ObjectId;

import com.mongodb.client.MongoCollection;

import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.mongodb.relay.MongoCheckpointStore;

/**
 * How fast a relay copies an entity collection by watermarks, and what the stream's latency is meanwhile (issue 33:
 * such a copy runs alongside the stream, which never pauses). {@code documents} documents of ~300 B are stored before
 * any relay runs; one relay process (the deployed JVM options) starts with that collection as its one source
 * ({@code kind: entities}, {@code initialLoad: copy}), and from its start a writer updates and inserts documents of
 * the same collection at {@code writesPerSecond} ({@link EntityDocuments#writes}). The copy's duration is measured as
 * {@link CopyRate}'s (first checkpoint to the one marking it complete); the stream's latency by a {@link StreamProbe}
 * on the entity's topic. Every run is a fresh stack, repeated {@code repeat} times.
 */
public final class EntityCopyRate {

    /** The copied collection: the source's name, and (with the prefix) its entity's topic. */
    static final String COLLECTION = "patients";
    private static final String TOPIC = "ferry." + COLLECTION;

    /**
     * One run.
     *
     * @param perSecond           documents stored before the relay started, divided by the copy's duration
     * @param copied              documents the copy published, by its last checkpoint: the stored ones and the writer's
     *                            inserts, less those the stream changed inside a chunk's window (the stream carried them)
     * @param latency             the stream's latency during the copy
     * @param afterCopy           the stream's latency in the {@link StreamProbe#AFTER_COPY} after the copy's end, the
     *                            same writer on the same relay: the contrast
     * @param liveLeaderStepDowns step-downs the copying relay logged while alive, from its start to the copy's end
     */
    public record Run(double perSecond, long copied, StreamLatency latency, StreamLatency afterCopy,
                      long liveLeaderStepDowns) {
    }

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
            Path runLogs = logs.resolve("entity-copy-" + run);
            try (ProductionLayout layout = new ProductionLayout(launcher, runLogs, Math.max(10_000, documents / 10), 5,
                progress)) {
                runs.add(run(layout, runLogs, run, documents, writesPerSecond, leaseTtl));
            }
        }
        return runs;
    }

    private Run run(ProductionLayout layout, Path runLogs, int run, int documents, int writesPerSecond,
                    Optional<Duration> leaseTtl) throws Exception {
        MongoCollection<Document> collection = layout.database().getCollection(COLLECTION);
        List<ObjectId> stored = EntityDocuments.store(collection, documents);
        try (StreamProbe probe = new StreamProbe(layout.bootstrapServers(), TOPIC, true,
            EntityDocuments.writes(collection, stored), writesPerSecond)) {
            progress.printf("entity copy run %d: %,d documents stored; relay.leaseTtl %s; writing %d/s from the relay's "
                + "start%n", run, documents, leaseTtl.map(ttl -> ttl.toMillis() + " ms").orElse("the relay's default"),
                writesPerSecond);
            long stepDownsBefore = layout.leaderStepDowns();
            layout.startEntityCopyingRelay(COLLECTION, leaseTtl);
            probe.startWriting();
            MongoCheckpointStore checkpoints = new MongoCheckpointStore(layout.database(), "ferry_leases");
            long started = CopyRate.awaitProgress(checkpoints, COLLECTION, false);
            long ended = CopyRate.awaitProgress(checkpoints, COLLECTION, true);
            long stepDowns = layout.leaderStepDowns() - stepDownsBefore;
            StreamProbe.Result stream = probe.finish(started, ended, runLogs.resolve("stream-latency.csv"));
            long copied = checkpoints.load(ProductionLayout.RELAY_NAME).orElseThrow().copies().get(COLLECTION).copied();
            double seconds = (ended - started) / 1e9;
            Run result = new Run(documents / seconds, copied, stream.during(), stream.after(), stepDowns);
            progress.printf(Locale.ROOT, "entity copy run %d: %,d documents in %.1f s, %,.0f/s (%,d published by the "
                + "copy); %s; the relay stepped down %d times while alive%n", run, documents, seconds, result.perSecond(),
                copied, stream.describe(), stepDowns);
            return result;
        }
    }
}
