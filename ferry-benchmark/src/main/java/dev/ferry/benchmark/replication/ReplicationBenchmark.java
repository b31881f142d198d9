package dev.ferry.benchmark.replication;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.benchmark.process.IdleCores;
import dev.ferry.benchmark.raw.PatientDocuments;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.wire.EventJson;
import dev.ferry.embedded.mongo.EmbeddedMongo;

/**
 * {@code ferry bench replication}: entity replication's rate on each transport, in two scenarios, with small documents
 * and with 10 KB ones:
 * <ul>
 *   <li>live (the seed's): writers inserting patients as fast as the source accepts for a window, measured from the
 *   first write to the last write of each replica, beside a raw JDBC upsert and a raw Kafka produce-to-consume of the
 *   same run;</li>
 *   <li>catch-up ({@link CatchUpScenario}): a mix of inserts, updates, replaces, deletes and re-creates written while
 *   the relay is held back, then released; the changes applied per second into each replica, beside the raw pipeline
 *   of plain clients (change stream → broker → batched conditional upserts) on the same changes — the ceiling.</li>
 * </ul>
 * Laid out as in production ({@link ReplicationLayout}), a fresh layout per transport. Every scenario runs
 * {@code repeat} times on the same processes, after an unmeasured warm-up of each size. A program, not a test.
 */
public final class ReplicationBenchmark {

    /**
     * @param window         how long the writers write, per live run
     * @param smallBytes     the small documents' size; 0: a patient's usual fields only (~450 bytes)
     * @param largeBytes     the large documents' size
     * @param writers        concurrent writers, each inserting one document at a time (live) or writing bulks of
     *                       changes (catch-up)
     * @param repeat         runs of each scenario
     * @param warmUp         unmeasured writing of each size first, so the JIT has compiled the hot paths
     * @param logs           where each process's output and the configuration go
     * @param idleWindow     how long nothing is written while each process's idle CPU is read
     * @param transports     what the relay and the replicators run on, one layout after the other
     * @param catchUpChanges changes of each catch-up run (0: no catch-up scenario)
     */
    public record Options(Duration window, int smallBytes, int largeBytes, int writers, int repeat, Duration warmUp,
                          Path logs, Duration idleWindow, List<FerryConfig.Transport> transports, int catchUpChanges) {
    }

    /**
     * The benchmark's outcome: what it measured, where, and how long it took.
     *
     * @param idleCores per transport, each process's cores with nothing written
     */
    public record Report(Machine machine, String loadBefore, String loadAfter, Duration idleWindow,
                         Map<String, Map<String, Double>> idleCores, List<ReplicationResult> results,
                         List<CatchUpResult> catchUps, long elapsedSeconds) {
    }

    static final String MONGODB_TARGET = ReplicationLayout.MONGODB_TARGET;
    static final String POSTGRESQL_TARGET = ReplicationLayout.POSTGRESQL_TARGET;
    /** The seed's figures (its users' own measurements, other hardware, plain messages): quoted, not measured here. */
    static final double SEED_KAFKA_SMALL = 8_000;
    static final double SEED_KAFKA_LARGE = 3_000;
    static final double SEED_NATS_SMALL = 20_000;
    static final double SEED_NATS_LARGE = 150;
    static final String LAYOUT = "production layout: embedded MongoDB + Kafka in one process (on NATS also a "
        + "nats-server); the relay and one replicator per target each in their own (the Dockerfile's JVM options, "
        + "-XX:MaxRAM=768m); the embedded PostgreSQL 17 server; the MongoDB replica in the stack's MongoDB. Catch-up: "
        + "the relay frozen (SIGSTOP) while the changes are written, the replicators running with nothing to apply "
        + "until it is released; rates from 1 % applied to each replica's last change. Raw pipeline: plain clients in a "
        + "process with the same JVM options - a change stream (updateLookup) -> a plain producer/publisher (key = id) "
        + "-> a consumer per replica -> per poll one unordered bulkWrite of version-conditional replace-upserts "
        + "(MongoDB) or one multi-row INSERT ... ON CONFLICT DO UPDATE WHERE version < EXCLUDED.version (PostgreSQL), "
        + "each id's latest change of the poll";

    private final Options options;
    private final FerryLauncher launcher;
    private final PrintStream progress;

    public ReplicationBenchmark(Options options, FerryLauncher launcher, PrintStream progress) {
        this.options = options;
        this.launcher = launcher;
        this.progress = progress;
    }

    public Report run() throws Exception {
        long started = System.nanoTime();
        String loadBefore = Machine.loadAverage();
        Machine machine = Machine.ofThisHost();
        progress.printf("machine: %s; load average (1/5/15 min) %s%n", machine.describe(), loadBefore);
        List<ReplicationResult> results = new ArrayList<>();
        List<CatchUpResult> catchUps = new ArrayList<>();
        Map<String, Map<String, Double>> idleCores = new LinkedHashMap<>();
        for (FerryConfig.Transport transport : options.transports()) {
            measure(transport, results, catchUps, idleCores);
        }
        long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        progress.printf("benchmark done in %d s%n", elapsed);
        return new Report(machine, loadBefore, Machine.loadAverage(), options.idleWindow(), idleCores, results, catchUps,
            elapsed);
    }

    private int[] sizes() {
        return new int[] {options.smallBytes(), options.largeBytes()};
    }

    /** Both scenarios on one transport's layout. */
    private void measure(FerryConfig.Transport transport, List<ReplicationResult> results, List<CatchUpResult> catchUps,
                         Map<String, Map<String, Double>> idleCores) throws Exception {
        // The oplog holds a catch-up's changes until the raw pipeline's second round has read them, after Ferry's and
        // the raw pipeline's replica writes to the same MongoDB and a live run's inserts.
        int oplog = Math.max(EmbeddedMongo.DEFAULT_OPLOG_CAPACITY, 6 * options.catchUpChanges() + 100_000);
        try (ReplicationLayout replication = new ReplicationLayout(launcher, options.logs().resolve(
            transport.name().toLowerCase(Locale.ROOT)), transport, oplog, progress)) {
            String name = replication.transportName();
            LiveScenario live = new LiveScenario(replication, options.writers(), options.window());
            CatchUpScenario catchUp = new CatchUpScenario(replication, options.writers());
            for (int bytes : sizes()) {
                Map<String, Long> before = replication.processed();
                PatientWriters.Writes writes = PatientWriters.write(replication.patients(), options.writers(),
                    options.warmUp(), bytes, "warm-" + bytes + "-");
                replication.awaitReplicas(before, writes.count());
                progress.printf(Locale.ROOT, "%s warm-up (unmeasured), %d-byte documents: %,d written, %,.0f/s%n", name,
                    PatientDocuments.jsonBytes(bytes), writes.count(), writes.perSecond());
                if (options.catchUpChanges() > 0) {
                    int changes = Math.max(100, options.catchUpChanges() / 4);
                    CatchUpResult.Run run = catchUp.run(bytes, changes, "cw-" + bytes + "-", false);
                    progress.printf(Locale.ROOT, "%s catch-up warm-up (unmeasured), %d-byte documents, %,d changes: %s%n",
                        name, PatientDocuments.jsonBytes(bytes), changes, rates(run.replicaPerSecond()));
                }
            }
            replication.awaitQuiet();
            Map<String, Double> idle = IdleCores.measure(options.idleWindow(), replication::cpuNanos);
            idleCores.put(name, idle);
            progress.printf("%s idle, no writes for %d s: cores used per process: %s%n", name,
                options.idleWindow().toSeconds(), figures(idle, "%.3f"));
            Map<Integer, List<ReplicationResult.Run>> liveRuns = new LinkedHashMap<>();
            Map<Integer, List<CatchUpResult.Run>> catchUpRuns = new LinkedHashMap<>();
            for (int repeat = 1; repeat <= options.repeat(); repeat++) {
                for (int bytes : sizes()) {
                    progress.printf("%s live run %d/%d, %d-byte documents, %d writers for %d s...%n", name, repeat,
                        options.repeat(), PatientDocuments.jsonBytes(bytes), options.writers(),
                        options.window().toSeconds());
                    ReplicationResult.Run run = live.run(bytes, "r" + repeat + "-" + bytes + "-");
                    report(run);
                    liveRuns.computeIfAbsent(bytes, key -> new ArrayList<>()).add(run);
                    if (options.catchUpChanges() > 0) {
                        progress.printf("%s catch-up run %d/%d, %d-byte documents, %,d changes...%n", name, repeat,
                            options.repeat(), PatientDocuments.jsonBytes(bytes), options.catchUpChanges());
                        replication.awaitQuiet();
                        CatchUpResult.Run caught = catchUp.run(bytes, options.catchUpChanges(),
                            "c" + repeat + "-" + bytes + "-", true);
                        progress.printf(Locale.ROOT, "  replicas %s; raw pipeline %s; CPU µs per change %s; "
                                + "live-leader step-downs %d%n", rates(caught.replicaPerSecond()),
                            rates(caught.rawPipelinePerSecond()), figures(caught.processes().entrySet().stream()
                                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().cpuMicrosPerChange(),
                                    (a, b) -> a, LinkedHashMap::new)), "%.0f"), caught.liveLeaderStepDowns());
                        catchUpRuns.computeIfAbsent(bytes, key -> new ArrayList<>()).add(caught);
                    }
                }
            }
            for (int bytes : sizes()) {
                boolean small = bytes == options.smallBytes();
                results.add(new ReplicationResult(name, PatientDocuments.jsonBytes(bytes), (int) options.window().toSeconds(),
                    small ? SEED_KAFKA_SMALL : SEED_KAFKA_LARGE, idle, liveRuns.get(bytes)));
                if (catchUpRuns.containsKey(bytes)) {
                    double seed = transport == FerryConfig.Transport.NATS ? (small ? SEED_NATS_SMALL : SEED_NATS_LARGE)
                        : (small ? SEED_KAFKA_SMALL : SEED_KAFKA_LARGE);
                    catchUps.add(new CatchUpResult(name, PatientDocuments.jsonBytes(bytes), options.catchUpChanges(),
                        seed, idle, catchUpRuns.get(bytes)));
                }
            }
        }
    }

    private void report(ReplicationResult.Run run) {
        progress.printf(Locale.ROOT, "  %,d writes, source %,.0f/s; MongoDB replica %,.0f/s (+%.0f ms), "
                + "PostgreSQL replica %,.0f/s (+%.0f ms); raw JDBC upsert %,.0f/s, raw Kafka %,.0f/s%n",
            run.writes(), run.sourcePerSecond(), run.mongoPerSecond(), run.mongoBehindMillis(),
            run.postgresPerSecond(), run.postgresBehindMillis(), run.rawJdbcPerSecond(), run.rawKafkaPerSecond());
        if (run.liveLeaderStepDowns() > 0) {
            progress.printf("  a live leader stepped down %d times during the run (Leadership's log lines)%n",
                run.liveLeaderStepDowns());
        }
        if (run.relayLeaseTakeovers() > 0) {
            progress.printf("  the relay's lease was taken %d times during the run (a leader stepped down: "
                + "a renewal answered later than its TTL)%n", run.relayLeaseTakeovers());
        }
        progress.printf(Locale.ROOT, "  CPU µs per write: %s%n", figures(run.cpuMicrosPerWrite(), "%.0f"));
    }

    private static String rates(Map<String, Double> perSecond) {
        return figures(perSecond, "%,.0f/s");
    }

    private static String figures(Map<String, Double> values, String format) {
        return values.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s " + format, e.getKey(), e.getValue()))
            .collect(Collectors.joining(", "));
    }

    // ---- reports ----

    /**
     * The report as JSON. {@code idleCores} keeps its shape (the first transport's processes); every transport's is in
     * {@code idleCoresByTransport} and in each scenario row.
     */
    public static String toJson(Report report) {
        Map<String, Double> firstIdle = report.idleCores().values().stream().findFirst().orElse(Map.of());
        return String.format(Locale.ROOT, "{\"benchmark\":\"replication\",\"machine\":%s,\"layout\":%s,"
                + "\"loadAverageBefore\":%s,\"loadAverageAfter\":%s,\"elapsedSeconds\":%d,\"idleSeconds\":%d,"
                + "\"transports\":[%s],\"idleCores\":%s,\"idleCoresByTransport\":{%s},\"scenarios\":[%s]}",
            report.machine().toJson(), EventJson.quote(LAYOUT), EventJson.quote(report.loadBefore()),
            EventJson.quote(report.loadAfter()), report.elapsedSeconds(), report.idleWindow().toSeconds(),
            report.idleCores().keySet().stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(",")),
            idleJson(firstIdle), report.idleCores().entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\":" + idleJson(e.getValue())).collect(Collectors.joining(",")),
            java.util.stream.Stream.concat(report.results().stream().map(ReplicationResult::toJson),
                report.catchUps().stream().map(CatchUpResult::toJson)).collect(Collectors.joining(",")));
    }

    static String idleJson(Map<String, Double> idle) {
        return idle.entrySet().stream().map(e -> String.format(Locale.ROOT, "\"%s\":%.3f", e.getKey(), e.getValue()))
            .collect(Collectors.joining(",", "{", "}"));
    }

    public static void printMarkdown(Report report, PrintWriter out) {
        int runs = report.results().isEmpty() ? 0 : report.results().get(0).runs().size();
        out.printf("# Ferry replication benchmark%n%nmachine: %s; load average (1/5/15 min) before %s, after %s; %s; "
                + "medians of %d runs with (min–max); %d s elapsed%n%n", report.machine().describe(), report.loadBefore(),
            report.loadAfter(), LAYOUT, runs, report.elapsedSeconds());
        out.printf("## Live: writers inserting as fast as the source accepts%n%n");
        out.printf("| transport | document | writes in window | source writes/s | MongoDB replica/s | PostgreSQL replica/s | "
            + "raw JDBC upsert/s | PostgreSQL ÷ raw JDBC (worst run) | raw Kafka produce→consume/s | seed's Kafka/s | "
            + "last replica write after last source write, ms (MongoDB / PostgreSQL) |%n");
        out.printf("|---|---|---|---|---|---|---|---|---|---|---|%n");
        for (ReplicationResult r : report.results()) {
            out.printf(Locale.ROOT, "| %s | %,d B | %s | %s | %s | %s | %s | %.2f | %s | %,.0f | %s / %s |%n", r.transport(),
                r.documentBytes(),
                r.spread(ReplicationResult.Run::writes).markdown("%,.0f"),
                r.spread(ReplicationResult.Run::sourcePerSecond).markdown("%,.0f"),
                r.spread(ReplicationResult.Run::mongoPerSecond).markdown("%,.0f"),
                r.spread(ReplicationResult.Run::postgresPerSecond).markdown("%,.0f"),
                r.spread(ReplicationResult.Run::rawJdbcPerSecond).markdown("%,.0f"), r.worstRatioToRawJdbc(),
                r.spread(ReplicationResult.Run::rawKafkaPerSecond).markdown("%,.0f"), r.seedKafkaPerSecond(),
                r.spread(ReplicationResult.Run::mongoBehindMillis).markdown("%,.0f"),
                r.spread(ReplicationResult.Run::postgresBehindMillis).markdown("%,.0f"));
        }
        out.printf("%nCPU µs per write (median run), from the first write to the last replica write:%n%n");
        report.idleCores().forEach((transport, idle) -> out.printf(Locale.ROOT,
            "- %s idle (nothing written for %d s, cores used): %s%n", transport, report.idleWindow().toSeconds(),
            figures(idle, "%.3f")));
        for (ReplicationResult r : report.results()) {
            out.printf(Locale.ROOT, "- %s %,d B: %s%n", r.transport(), r.documentBytes(),
                figures(r.medianCpuMicrosPerWrite(), "%.0f"));
        }
        out.printf("%nstep-downs of a live leader (all runs; Leadership's log lines): %s%n", report.results().stream()
            .map(r -> String.format(Locale.ROOT, "%s %,d B %d", r.transport(), r.documentBytes(), r.liveLeaderStepDowns()))
            .collect(Collectors.joining(", ")));
        if (!report.catchUps().isEmpty()) {
            printCatchUps(report.catchUps(), out);
        }
        out.flush();
    }

    private static void printCatchUps(List<CatchUpResult> catchUps, PrintWriter out) {
        out.printf("%n## Catch-up: the changes written with the relay held back, then released%n%n");
        out.printf("| transport | document | changes | MongoDB replica/s | PostgreSQL replica/s | raw pipeline → MongoDB/s | "
            + "raw pipeline → PostgreSQL/s | MongoDB ÷ raw (worst run) | PostgreSQL ÷ raw (worst run) | seed's/s |%n");
        out.printf("|---|---|---|---|---|---|---|---|---|---|%n");
        for (CatchUpResult c : catchUps) {
            out.printf(Locale.ROOT, "| %s | %,d B | %,d | %s | %s | %s | %s | %.2f | %.2f | %,.0f |%n", c.transport(),
                c.documentBytes(), c.changes(), c.replica("mongodb").markdown("%,.0f"),
                c.replica("postgresql").markdown("%,.0f"), c.raw("mongodb").markdown("%,.0f"),
                c.raw("postgresql").markdown("%,.0f"), c.worstRatio("mongodb"), c.worstRatio("postgresql"),
                c.seedPerSecond());
        }
        out.printf("%nCPU µs per change (median run; in brackets its GC threads' part), resident memory (largest):%n%n");
        for (CatchUpResult c : catchUps) {
            Map<String, Double> cpu = c.medianPerProcess(CatchUpResult.ProcessFigures::cpuMicrosPerChange);
            Map<String, Double> gc = c.medianPerProcess(CatchUpResult.ProcessFigures::gcCpuMicrosPerChange);
            Map<String, Double> rss = c.maxRss();
            out.printf(Locale.ROOT, "- %s %,d B: %s; raw pipeline process %.0f; step-downs of a live leader %d%n",
                c.transport(), c.documentBytes(), cpu.keySet().stream().map(role -> String.format(Locale.ROOT,
                    "%s %.0f (%.0f) %.0f MB", role, cpu.get(role), gc.get(role), rss.get(role)))
                    .collect(Collectors.joining(", ")), c.spread(CatchUpResult.Run::rawPipelineCpuMicrosPerChange).median(),
                c.liveLeaderStepDowns());
        }
    }
}
