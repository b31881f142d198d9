package dev.ferry.benchmark.replication;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.bson.Document;

import com.mongodb.client.MongoCollection;

import dev.ferry.benchmark.pipeline.PipelineBenchmark;
import dev.ferry.benchmark.pipeline.ProductionLayout;
import dev.ferry.benchmark.process.AdminEndpoint;
import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.benchmark.process.IdleCores;
import dev.ferry.benchmark.process.ProcessCpu;
import dev.ferry.benchmark.raw.PatientDocuments;
import dev.ferry.core.wire.EventJson;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.embedded.postgres.EmbeddedPostgresServer;
import dev.ferry.kafka.publish.KafkaSettings;

/**
 * {@code ferry bench replication}: the seed's two scenarios — writers inserting patients as fast as the source accepts
 * for a window, with small documents and then with 10 KB ones — measured from the first write to the last write of
 * each replica, beside a raw JDBC upsert and a raw Kafka produce-to-consume of the same run.
 * <p>
 * Laid out as in production ({@link ProductionLayout}): the embedded stack (MongoDB and Kafka) in a process, the
 * relay ({@code ferry relay}, an entities source) and one replicator per target ({@code ferry replicate --target}, a
 * MongoDB replica in the stack's MongoDB and a PostgreSQL replica) each in a process of its own with the deployed JVM
 * options, the embedded PostgreSQL 17 as its own server process, and the raw baselines ({@code ferry bench raw}) in a
 * process with the same options. Every scenario runs {@code repeat} times on the same processes, after an unmeasured
 * warm-up of each size. A program, not a test.
 */
public final class ReplicationBenchmark {

    /**
     * @param window     how long the writers write, per run
     * @param smallBytes the small documents' size; 0: a patient's usual fields only (~500 bytes)
     * @param largeBytes the large documents' size
     * @param writers    concurrent writers, each inserting one document at a time
     * @param repeat     runs of each scenario
     * @param warmUp     unmeasured writing of each size first, so the JIT has compiled the hot paths
     * @param logs       where each process's output and the configuration go
     * @param idleWindow how long nothing is written while each process's idle CPU is read
     */
    public record Options(Duration window, int smallBytes, int largeBytes, int writers, int repeat, Duration warmUp,
                          Path logs, Duration idleWindow) {
    }

    /** The benchmark's outcome: what it measured, where, and how long it took. */
    public record Report(Machine machine, String loadBefore, String loadAfter, Duration idleWindow,
                         Map<String, Double> idleCores, List<ReplicationResult> results, long elapsedSeconds) {
    }

    static final String ENTITY = "patient";
    static final String COLLECTION = "patients";
    static final String MONGODB_TARGET = "mongodb-replica";
    static final String POSTGRESQL_TARGET = "postgresql-replica";
    /** The seed's Kafka figures for the same two scenarios: quoted beside ours, not measured here. */
    static final double SEED_KAFKA_SMALL = 8_000;
    static final double SEED_KAFKA_LARGE = 3_000;
    static final String LAYOUT = "production layout: embedded MongoDB + Kafka in one process; the relay and one "
        + "replicator per target each in their own (the Dockerfile's JVM options, -XX:MaxRAM=768m); the embedded "
        + "PostgreSQL 17 server; the MongoDB replica in the stack's MongoDB";
    /** The PostgreSQL server's role: its postmaster and every backend process under it. */
    static final String POSTGRESQL_SERVER = "postgresql";
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final Duration CATCH_UP_LIMIT = Duration.ofMinutes(10);

    private final Options options;
    private final FerryLauncher launcher;
    private final PrintStream progress;
    /** The processes whose CPU each run accounts for, by role. */
    private final Map<String, Long> processes = new LinkedHashMap<>();

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
        Map<String, Double> idleCores;
        // Closed in reverse: the layout's processes (whose replicator writes to PostgreSQL) before the server.
        try (EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start();
             ProductionLayout layout = new ProductionLayout(launcher, options.logs(), EmbeddedMongo.DEFAULT_OPLOG_CAPACITY,
                 KafkaSettings.DEFAULT_LINGER_MS, progress)) {
            progress.printf("embedded PostgreSQL (pid %d): %s%n", postgres.pid(), postgres.jdbcUrl());
            processes.put("writers", ProcessHandle.current().pid());
            processes.put(POSTGRESQL_SERVER, postgres.pid());
            Path config = writeConfig(options.logs().resolve("replication.yml"), postgres.jdbcUrl());
            MongoCollection<Document> patients = layout.client().getDatabase(ProductionLayout.DATABASE)
                .getCollection(COLLECTION);
            processes.put("stack", layout.stack().pid());
            processes.put("relay", layout.startService("relay", List.of("relay", "--config", config.toString()))
                .process().pid());
            // The relay creates the entity's topic as it publishes the first change: the replicators find it there.
            PatientWriters.write(patients, 1, Duration.ofMillis(200), options.smallBytes(), "first-");
            Map<String, AdminEndpoint> replicas = new LinkedHashMap<>();
            for (String target : List.of(MONGODB_TARGET, POSTGRESQL_TARGET)) {
                ProductionLayout.Service replicator = layout.startService("replicator-" + target, List.of("replicate",
                    "--config", config.toString(), "--target", target));
                replicas.put(target, replicator.admin());
                processes.put("replicator-" + target, replicator.process().pid());
            }
            for (int bytes : sizes()) {
                Map<String, Long> before = processed(replicas);
                PatientWriters.Writes writes = PatientWriters.write(patients, options.writers(), options.warmUp(), bytes,
                    "warm-" + bytes + "-");
                awaitReplicas(replicas, before, writes.count());
                progress.printf(Locale.ROOT, "warm-up (unmeasured), %d-byte documents: %,d written, %,.0f/s%n",
                    PatientDocuments.jsonBytes(bytes), writes.count(), writes.perSecond());
            }
            awaitQuiet(replicas);
            idleCores = IdleCores.measure(options.idleWindow(), this::cpuNanos);
            Map<String, Double> idle = idleCores;
            progress.printf("idle, no writes for %d s: cores used per process: %s%n", options.idleWindow().toSeconds(),
                idle.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.3f", e.getKey(), e.getValue()))
                    .collect(Collectors.joining(", ")));
            Map<Integer, List<ReplicationResult.Run>> runs = new LinkedHashMap<>();
            for (int repeat = 1; repeat <= options.repeat(); repeat++) {
                for (int bytes : sizes()) {
                    progress.printf("run %d/%d, %d-byte documents, %d writers for %d s...%n", repeat, options.repeat(),
                        PatientDocuments.jsonBytes(bytes), options.writers(), options.window().toSeconds());
                    ReplicationResult.Run run = measure(layout, patients, replicas, postgres.jdbcUrl(), bytes,
                        "r" + repeat + "-" + bytes + "-");
                    progress.printf(Locale.ROOT, "  %,d writes, source %,.0f/s; MongoDB replica %,.0f/s (+%.0f ms), "
                            + "PostgreSQL replica %,.0f/s (+%.0f ms); raw JDBC upsert %,.0f/s, raw Kafka %,.0f/s%n",
                        run.writes(), run.sourcePerSecond(), run.mongoPerSecond(), run.mongoBehindMillis(),
                        run.postgresPerSecond(), run.postgresBehindMillis(), run.rawJdbcPerSecond(),
                        run.rawKafkaPerSecond());
                    if (run.liveLeaderStepDowns() > 0) {
                        progress.printf("  a live leader stepped down %d times during the run (Leadership's log lines)%n",
                            run.liveLeaderStepDowns());
                    }
                    if (run.relayLeaseTakeovers() > 0) {
                        progress.printf("  the relay's lease was taken %d times during the run (a leader stepped down: "
                            + "a renewal answered later than its TTL)%n", run.relayLeaseTakeovers());
                    }
                    progress.printf(Locale.ROOT, "  CPU µs per write: %s%n", run.cpuMicrosPerWrite().entrySet().stream()
                        .map(e -> String.format(Locale.ROOT, "%s %.0f", e.getKey(), e.getValue()))
                        .collect(Collectors.joining(", ")));
                    runs.computeIfAbsent(bytes, key -> new ArrayList<>()).add(run);
                }
            }
            for (int bytes : sizes()) {
                results.add(new ReplicationResult(PatientDocuments.jsonBytes(bytes), (int) options.window().toSeconds(),
                    bytes == options.smallBytes() ? SEED_KAFKA_SMALL : SEED_KAFKA_LARGE, runs.get(bytes)));
            }
        }
        long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
        progress.printf("benchmark done in %d s%n", elapsed);
        return new Report(machine, loadBefore, Machine.loadAverage(), options.idleWindow(), idleCores, results, elapsed);
    }

    private int[] sizes() {
        return new int[] {options.smallBytes(), options.largeBytes()};
    }

    /** One run: the writers' window, each replica's last write, then the raw baselines on as many documents. */
    private ReplicationResult.Run measure(ProductionLayout layout, MongoCollection<Document> patients,
                                          Map<String, AdminEndpoint> replicas, String jdbcUrl, int bytes, String prefix)
        throws Exception {
        Map<String, Long> before = processed(replicas);
        Map<String, Long> cpuBefore = cpuNanos();
        long epochBefore = layout.leaseEpoch();
        long stepDownsBefore = layout.leaderStepDowns();
        PatientWriters.Writes writes = PatientWriters.write(patients, options.writers(), options.window(), bytes, prefix);
        Map<String, Long> done = awaitReplicas(replicas, before, writes.count());
        Map<String, Long> cpuAfter = cpuNanos();
        long leaseTakeovers = layout.leaseEpoch() - epochBefore;
        long stepDowns = layout.leaderStepDowns() - stepDownsBefore;
        Map<String, Double> cpuMicrosPerWrite = new LinkedHashMap<>();
        cpuAfter.forEach((role, nanos) -> cpuMicrosPerWrite.put(role,
            (nanos - cpuBefore.getOrDefault(role, 0L)) / 1e3 / writes.count()));
        int recordBytes = PatientDocuments.jsonBytes(bytes);
        List<String> lines = layout.runRaw("raw", List.of("--stages", "jdbc-upsert,kafka", "--events",
            Long.toString(writes.count()), "--payload-bytes", Integer.toString(recordBytes), "--jdbc-url", jdbcUrl,
            "--rounds", "2")); // the first round warms the raw clients' JIT, as the warm-up did Ferry's
        Map<String, Map<String, String>> raw = PipelineBenchmark.lastRounds(lines);
        long mongoDone = done.get(MONGODB_TARGET);
        long postgresDone = done.get(POSTGRESQL_TARGET);
        return new ReplicationResult.Run(writes.count(), writes.perSecond(),
            writes.count() / ((mongoDone - writes.firstNanos()) / 1e9),
            writes.count() / ((postgresDone - writes.firstNanos()) / 1e9),
            (mongoDone - writes.lastNanos()) / 1e6, (postgresDone - writes.lastNanos()) / 1e6,
            Double.parseDouble(raw.get("jdbc-upsert").get("perSecond")),
            Double.parseDouble(raw.get("kafka").get("perSecond")), cpuMicrosPerWrite, leaseTakeovers, stepDowns);
    }

    /**
     * Each process's CPU so far, from {@code /proc}: the window's difference divided by the writes is its cost per
     * write. The PostgreSQL server counts its backends too (the pooled connections live through the run).
     */
    private Map<String, Long> cpuNanos() {
        Map<String, Long> cpu = new LinkedHashMap<>();
        processes.forEach((role, pid) -> {
            long nanos = ProcessCpu.sample(pid).cpuNanos();
            if (role.equals(POSTGRESQL_SERVER)) {
                nanos += ProcessHandle.of(pid).stream().flatMap(ProcessHandle::descendants)
                    .mapToLong(backend -> sampleOrZero(backend.pid())).sum();
            }
            cpu.put(role, nanos);
        });
        return cpu;
    }

    private static long sampleOrZero(long pid) {
        try {
            return ProcessCpu.sample(pid).cpuNanos();
        } catch (RuntimeException ended) {
            return 0; // a backend that ended between listing and reading
        }
    }

    /** Changes each replicator has handled: written, or skipped as already there (a redelivery). */
    private static Map<String, Long> processed(Map<String, AdminEndpoint> replicas) throws Exception {
        Map<String, Long> processed = new LinkedHashMap<>();
        for (Map.Entry<String, AdminEndpoint> replica : replicas.entrySet()) {
            processed.put(replica.getKey(), replica.getValue().statusNumber("applied")
                + replica.getValue().statusNumber("duplicates"));
        }
        return processed;
    }

    /** Polls until every replica handled {@code changes} more than {@code before}; returns when each did (nanoTime). */
    private static Map<String, Long> awaitReplicas(Map<String, AdminEndpoint> replicas, Map<String, Long> before,
                                                   long changes) throws Exception {
        Map<String, Long> done = new LinkedHashMap<>();
        long deadline = System.nanoTime() + CATCH_UP_LIMIT.toNanos();
        while (done.size() < replicas.size()) {
            Map<String, Long> now = processed(replicas);
            long at = System.nanoTime();
            for (String target : replicas.keySet()) {
                if (!done.containsKey(target) && now.get(target) - before.get(target) >= changes) {
                    done.put(target, at);
                }
            }
            if (at > deadline) {
                throw new IllegalStateException("within " + CATCH_UP_LIMIT + " the replicas handled " + replicas.keySet()
                    .stream().map(target -> target + " " + (now.get(target) - before.get(target)))
                    .collect(Collectors.joining(", ")) + " of " + changes + " changes");
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
        return done;
    }

    /** Waits until no replicator handles anything for a second: nothing of the warm-up is left to count in a run. */
    private static void awaitQuiet(Map<String, AdminEndpoint> replicas) throws Exception {
        Map<String, Long> last = processed(replicas);
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(1)) {
            LockSupport.parkNanos(POLL_NANOS * 5);
            Map<String, Long> now = processed(replicas);
            if (!now.equals(last)) {
                last = now;
                quietSince = System.nanoTime();
            }
        }
    }

    /** The relay's and the replicators' configuration: an entities source and the two targets. */
    private static Path writeConfig(Path file, String jdbcUrl) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, """
            mongodb:
              uri: ${FERRY_MONGODB_URI}
              database: %s
            sources:
              - kind: entities
                collection: %s
                entity: %s
                initialLoad: none
            kafka:
              bootstrapServers: ${FERRY_KAFKA_BOOTSTRAP_SERVERS}
              partitions: 6
              replicationFactor: 1
              compression: none
            relay:
              name: %s
              start: %s
            targets:
              - kind: mongodb
                name: %s
                database: replica
                entities: [%s]
              - kind: postgresql
                name: %s
                url: %s
                entities: [%s]
            admin:
              bind: 127.0.0.1
              port: 0
            """.formatted(ProductionLayout.DATABASE, COLLECTION, ENTITY, ProductionLayout.RELAY_NAME,
            Instant.now().minusSeconds(5), MONGODB_TARGET,
            ENTITY, POSTGRESQL_TARGET, EventJson.quote(jdbcUrl), ENTITY));
        return file;
    }

    // ---- reports ----

    public static String toJson(Report report) {
        return String.format(Locale.ROOT, "{\"benchmark\":\"replication\",\"machine\":%s,\"layout\":%s,"
                + "\"loadAverageBefore\":%s,\"loadAverageAfter\":%s,\"elapsedSeconds\":%d,\"idleSeconds\":%d,\"idleCores\":{%s},"
                + "\"scenarios\":[%s]}",
            report.machine().toJson(), EventJson.quote(LAYOUT), EventJson.quote(report.loadBefore()),
            EventJson.quote(report.loadAfter()), report.elapsedSeconds(), report.idleWindow().toSeconds(), report.idleCores().entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "\"%s\":%.3f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(",")),
            report.results().stream().map(ReplicationResult::toJson).collect(Collectors.joining(",")));
    }

    public static void printMarkdown(Report report, PrintWriter out) {
        int runs = report.results().isEmpty() ? 0 : report.results().get(0).runs().size();
        out.printf("# Ferry replication benchmark%n%nmachine: %s; load average (1/5/15 min) before %s, after %s; %s; "
                + "medians of %d runs with (min–max); %d s elapsed%n%n", report.machine().describe(), report.loadBefore(),
            report.loadAfter(), LAYOUT, runs, report.elapsedSeconds());
        out.printf("| document | writes in window | source writes/s | MongoDB replica/s | PostgreSQL replica/s | "
            + "raw JDBC upsert/s | PostgreSQL ÷ raw JDBC (worst run) | raw Kafka produce→consume/s | seed's Kafka/s | "
            + "last replica write after last source write, ms (MongoDB / PostgreSQL) |%n");
        out.printf("|---|---|---|---|---|---|---|---|---|---|%n");
        for (ReplicationResult r : report.results()) {
            out.printf(Locale.ROOT, "| %,d B | %s | %s | %s | %s | %s | %.2f | %s | %,.0f | %s / %s |%n", r.documentBytes(),
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
        out.printf(Locale.ROOT, "- idle (nothing written for %d s, cores used): %s%n", report.idleWindow().toSeconds(),
            report.idleCores().entrySet().stream()
            .map(e -> String.format(Locale.ROOT, "%s %.3f", e.getKey(), e.getValue())).collect(Collectors.joining(", ")));
        for (ReplicationResult r : report.results()) {
            out.printf(Locale.ROOT, "- %,d B: %s%n", r.documentBytes(), r.medianCpuMicrosPerWrite().entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%s %.0f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(", ")));
        }
        out.printf("%nstep-downs of a live leader (all runs; Leadership's log lines): %s%n", report.results().stream()
            .map(r -> String.format(Locale.ROOT, "%,d B %d", r.documentBytes(), r.liveLeaderStepDowns()))
            .collect(Collectors.joining(", ")));
        out.flush();
    }
}
