package dev.ferry.benchmark.lease;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.bson.Document;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;

import dev.ferry.benchmark.pipeline.CopyRate;
import dev.ferry.benchmark.pipeline.ProductionLayout;
import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.benchmark.replication.Machine;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.wire.EventJson;
import dev.ferry.mongodb.relay.MongoCheckpointStore;
import dev.ferry.mongodb.replica.MongoReplicaCollection;
import dev.ferry.mongodb.replica.MongoReplicaWriter;

/**
 * {@code ferry bench lease}: how long a lease renewal waits while one of Ferry's own bulk operations runs on the
 * embedded MongoDB (issue 30: "a lease renewal answers within 50 ms (p99) while a 100,000-document copy or purge
 * runs"). Each operation gets a fresh embedded stack in a process of its own ({@link ProductionLayout}), and beside it a
 * {@link RenewalProbe} renews a lease of its own in {@code ferry_leases} every {@code interval} through
 * {@code MongoLeaseStore}; its renewals are noted from the operation's start to its end, after an idle baseline:
 * <ul>
 *   <li>copy: {@code documents} stored commits, then a relay process ({@code relay.start: earliest}, the relay's
 *   default lease unless {@code copyLeaseTtl}) copies them; the window runs from the copy's first checkpoint to the one
 *   marking it complete (as {@code ferry bench copy} measures);</li>
 *   <li>purge: {@code documents} tombstones older than their retention in a MongoDB replica collection (the purge's
 *   index made first, as a replicator's first write makes it), then {@link MongoReplicaWriter#purgeTombstones()} —
 *   the call a replicator makes hourly — removes them, from this process.</li>
 * </ul>
 * A program, not a test.
 */
public final class LeaseRenewalBenchmark {

    /** A bulk operation of Ferry's own. */
    public enum Operation { COPY, PURGE }

    /**
     * @param documents    commits to copy, or tombstones to purge
     * @param operations   what to run beside the renewals, in order
     * @param interval     the pause between one renewal's answer and the next renewal
     * @param baseline     renewals noted with nothing else running, before each operation
     * @param copyLeaseTtl the copying relay's {@code relay.leaseTtl}; empty: the relay's default
     * @param timeout      how long an operation may take before the benchmark reports it unfinished
     * @param logs         where each process's output goes
     */
    public record Options(int documents, List<Operation> operations, Duration interval, Duration baseline,
                          Optional<Duration> copyLeaseTtl, Duration timeout, Path logs) {
    }

    /** The benchmark's outcome. */
    public record Report(Machine machine, String loadBefore, String loadAfter, Duration interval,
                         List<LeaseRenewalResult> results, long elapsedSeconds) {
    }

    static final String REPLICA_DATABASE = "replica";
    static final String REPLICA_COLLECTION = "patients";
    private static final Duration TOMBSTONE_RETENTION = Duration.ofHours(1);
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Options options;
    private final FerryLauncher launcher;
    private final PrintStream progress;

    public LeaseRenewalBenchmark(Options options, FerryLauncher launcher, PrintStream progress) {
        this.options = options;
        this.launcher = launcher;
        this.progress = progress;
    }

    public Report run() throws Exception {
        long started = System.nanoTime();
        String loadBefore = Machine.loadAverage();
        Machine machine = Machine.ofThisHost();
        progress.printf("machine: %s; load average (1/5/15 min) %s%n", machine.describe(), loadBefore);
        List<LeaseRenewalResult> results = new ArrayList<>();
        for (Operation operation : options.operations()) {
            String name = operation.name().toLowerCase(Locale.ROOT);
            try (ProductionLayout layout = new ProductionLayout(launcher, options.logs().resolve(name),
                Math.max(10_000, options.documents() / 10), 5, progress);
                 RenewalProbe probe = new RenewalProbe(layout.mongoUri(), ProductionLayout.DATABASE, "ferry_leases",
                     options.interval())) {
                LeaseRenewalResult result = operation == Operation.COPY ? copy(layout, probe) : purge(layout, probe);
                progress.println("  " + result.describe());
                results.add(result);
            }
        }
        long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        progress.printf("benchmark done in %d s%n", elapsed);
        return new Report(machine, loadBefore, Machine.loadAverage(), options.interval(), results, elapsed);
    }

    private double[] baseline(RenewalProbe probe) {
        probe.clear();
        long from = System.nanoTime();
        long to = from + options.baseline().toNanos();
        for (long left = to - from; left > 0; left = to - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
        return probe.during(from, to);
    }

    /** A relay copies the stored commits; the renewals are noted from its first copy checkpoint to the last. */
    private LeaseRenewalResult copy(ProductionLayout layout, RenewalProbe probe) throws Exception {
        progress.printf("copy: storing %,d commits...%n", options.documents());
        CopyRate.storeHistory(layout.database().getCollection("events"), options.documents());
        double[] idle = baseline(probe);
        progress.printf("copy: a relay copies them (relay.leaseTtl %s) while a lease is renewed every %d ms...%n",
            options.copyLeaseTtl().map(ttl -> ttl.toMillis() + " ms").orElse("the relay's default"),
            options.interval().toMillis());
        long stepDownsBefore = layout.leaderStepDowns();
        long failuresBefore = probe.failures();
        layout.startCopyingRelay(options.copyLeaseTtl());
        MongoCheckpointStore checkpoints = new MongoCheckpointStore(layout.database(), "ferry_leases");
        long deadline = System.nanoTime() + options.timeout().toNanos();
        Optional<CheckpointStore.CopyProgress> copy = awaitCopy(checkpoints, false, deadline);
        long started = System.nanoTime();
        if (copy.isPresent()) {
            copy = awaitCopy(checkpoints, true, deadline);
        }
        long ended = System.nanoTime();
        double seconds = (ended - started) / 1e9;
        double[] renewals = probe.during(started, ended);
        boolean completed = copy.isPresent() && copy.get().complete();
        long done = copy.map(CheckpointStore.CopyProgress::copied).orElse(0L);
        return new LeaseRenewalResult("copy", options.documents(), completed, done, seconds, renewals, idle,
            probe.failures() - failuresBefore, options.copyLeaseTtl(), layout.leaderStepDowns() - stepDownsBefore);
    }

    /**
     * Polls the relay's checkpoint until its copy exists ({@code complete} false) or says complete, or the deadline;
     * returns the last progress seen (empty: no copy checkpoint yet).
     */
    private static Optional<CheckpointStore.CopyProgress> awaitCopy(MongoCheckpointStore checkpoints, boolean complete,
                                                                   long deadline) {
        Optional<CheckpointStore.CopyProgress> seen = Optional.empty();
        while (System.nanoTime() < deadline) {
            seen = checkpoints.load(ProductionLayout.RELAY_NAME).map(checkpoint -> checkpoint.copies().get("events"));
            if (seen.isPresent() && (!complete || seen.get().complete())) {
                return seen;
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return seen;
    }

    /** Tombstones past their retention, removed by the replicator's purge; renewals noted while it runs. */
    private LeaseRenewalResult purge(ProductionLayout layout, RenewalProbe probe) {
        MongoDatabase replica = layout.client().getDatabase(REPLICA_DATABASE);
        MongoReplicaWriter writer = new MongoReplicaWriter(replica,
            List.of(new MongoReplicaCollection("patient", REPLICA_COLLECTION)), TOMBSTONE_RETENTION, Clock.systemUTC());
        writer.purgeTombstones(); // makes the purge's index, as a replicator's first write does, long before a purge
        progress.printf("purge: storing %,d tombstones past their retention...%n", options.documents());
        storeTombstones(replica.getCollection(REPLICA_COLLECTION), options.documents());
        double[] idle = baseline(probe);
        progress.printf("purge: purging them while a lease is renewed every %d ms...%n", options.interval().toMillis());
        long failuresBefore = probe.failures();
        long started = System.nanoTime();
        long purged = writer.purgeTombstones();
        long ended = System.nanoTime();
        double seconds = (ended - started) / 1e9;
        double[] renewals = probe.during(started, ended);
        return new LeaseRenewalResult("purge", options.documents(), purged == options.documents(), purged, seconds,
            renewals, idle, probe.failures() - failuresBefore, Optional.empty(), null);
    }

    /** Tombstones as the MongoDB replica writes them ({@code {_id, _ferry: {version, deletedAt}}}), in bulk. */
    private static void storeTombstones(MongoCollection<Document> replica, int count) {
        Date deletedAt = Date.from(Instant.now().minus(TOMBSTONE_RETENTION.multipliedBy(2)));
        List<Document> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            batch.add(new Document("_id", "patient-" + i).append(MongoReplicaWriter.FERRY,
                new Document("version", EntityVersion.ofClusterTime(1, 1, i).wire()).append("deletedAt", deletedAt)));
            if (batch.size() == 1_000) {
                replica.insertMany(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            replica.insertMany(batch);
        }
    }

    // ---- reports ----

    public static String toJson(Report report) {
        return String.format(Locale.ROOT, "{\"benchmark\":\"lease\",\"machine\":%s,\"loadAverageBefore\":%s,"
                + "\"loadAverageAfter\":%s,\"elapsedSeconds\":%d,\"renewalIntervalMillis\":%d,\"scenarios\":[%s]}",
            report.machine().toJson(), EventJson.quote(report.loadBefore()), EventJson.quote(report.loadAfter()),
            report.elapsedSeconds(), report.interval().toMillis(),
            report.results().stream().map(LeaseRenewalResult::toJson).collect(Collectors.joining(",")));
    }

    public static void printSummary(Report report, PrintWriter out) {
        out.printf("# Ferry lease renewals beside bulk work%n%nmachine: %s; load average (1/5/15 min) before %s, after "
                + "%s; a lease renewed every %d ms through MongoLeaseStore; %d s elapsed%n%n", report.machine().describe(),
            report.loadBefore(), report.loadAfter(), report.interval().toMillis(), report.elapsedSeconds());
        for (LeaseRenewalResult result : report.results()) {
            out.println("- " + result.describe());
        }
        out.flush();
    }
}
