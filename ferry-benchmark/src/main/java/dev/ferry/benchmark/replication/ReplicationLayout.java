package dev.ferry.benchmark.replication;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.bson.Document;

import com.mongodb.client.MongoCollection;

import dev.ferry.benchmark.pipeline.ProductionLayout;
import dev.ferry.benchmark.process.AdminEndpoint;
import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.benchmark.process.ProcessCpu;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.wire.EventJson;
import dev.ferry.embedded.postgres.EmbeddedPostgresServer;
import dev.ferry.kafka.publish.KafkaSettings;

/**
 * Entity replication on one transport, laid out as in production: the embedded PostgreSQL 17 server, the embedded
 * stack ({@link ProductionLayout}; on NATS also a nats-server), the relay ({@code ferry relay}, an entities source) and
 * one replicator per target ({@code ferry replicate --target}: a MongoDB replica in the stack's MongoDB and a
 * PostgreSQL replica), each in a process of its own with the deployed JVM options. It reads each process's CPU and
 * memory from {@code /proc} and each replicator's handled changes from its {@code /status}.
 */
final class ReplicationLayout implements AutoCloseable {

    static final String ENTITY = "patient";
    static final String COLLECTION = "patients";
    static final String MONGODB_TARGET = "mongodb-replica";
    static final String POSTGRESQL_TARGET = "postgresql-replica";
    /** The PostgreSQL server's role: its postmaster and every backend process under it. */
    static final String POSTGRESQL_SERVER = "postgresql";
    static final String NATS_SERVER = "nats-server";
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    private static final Duration CATCH_UP_LIMIT = Duration.ofMinutes(10);

    private final FerryConfig.Transport transport;
    private final EmbeddedPostgresServer postgres;
    private final ProductionLayout layout;
    private final MongoCollection<Document> patients;
    private final ProductionLayout.Service relay;
    private final Map<String, AdminEndpoint> replicas = new LinkedHashMap<>();
    /** The processes whose CPU a run accounts for, by role. */
    private final Map<String, Long> processes = new LinkedHashMap<>();

    /**
     * Starts everything; {@code oplogCapacity} must hold a catch-up's changes until the raw pipeline has read them
     * (after the replicas' own writes to the stack's MongoDB).
     */
    ReplicationLayout(FerryLauncher launcher, Path logs, FerryConfig.Transport transport, int oplogCapacity,
                      PrintStream progress) throws Exception {
        this.transport = transport;
        postgres = EmbeddedPostgresServer.start();
        try {
            layout = new ProductionLayout(launcher, logs, oplogCapacity, KafkaSettings.DEFAULT_LINGER_MS, transport,
                progress);
        } catch (Exception | Error e) {
            postgres.close();
            throw e;
        }
        try {
            progress.printf("embedded PostgreSQL (pid %d): %s%n", postgres.pid(), postgres.jdbcUrl());
            processes.put("writers", ProcessHandle.current().pid());
            processes.put(POSTGRESQL_SERVER, postgres.pid());
            processes.put("stack", layout.stack().pid());
            layout.natsPid().ifPresent(pid -> processes.put(NATS_SERVER, pid));
            Path config = writeConfig(logs.resolve("replication-" + transportName() + ".yml"), postgres.jdbcUrl(),
                transport);
            patients = layout.client().getDatabase(ProductionLayout.DATABASE).getCollection(COLLECTION);
            relay = layout.startService("relay", List.of("relay", "--config", config.toString()));
            processes.put("relay", relay.process().pid());
            // The relay creates the entity's topic (stream) as it publishes the first change: the replicators find it.
            PatientWriters.write(patients, 1, Duration.ofMillis(200), 0, "first-");
            for (String target : List.of(MONGODB_TARGET, POSTGRESQL_TARGET)) {
                ProductionLayout.Service replicator = layout.startService("replicator-" + target, List.of("replicate",
                    "--config", config.toString(), "--target", target));
                replicas.put(target, replicator.admin());
                processes.put("replicator-" + target, replicator.process().pid());
            }
        } catch (Exception | Error e) {
            close();
            throw e;
        }
    }

    /** {@code kafka} or {@code nats}, as the configuration and the JSON name it. */
    String transportName() {
        return transport.name().toLowerCase(Locale.ROOT);
    }

    FerryConfig.Transport transport() {
        return transport;
    }

    MongoCollection<Document> patients() {
        return patients;
    }

    ProductionLayout layout() {
        return layout;
    }

    ProductionLayout.Service relay() {
        return relay;
    }

    String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    /** Each process's CPU so far (all threads; the PostgreSQL server with its backends), by role. */
    Map<String, Long> cpuNanos() {
        Map<String, Long> cpu = new LinkedHashMap<>();
        samples().forEach((role, sample) -> cpu.put(role, sample.cpuNanos()));
        return cpu;
    }

    /**
     * Each process's reading from {@code /proc}: CPU, its GC threads' part and resident memory. The PostgreSQL server
     * counts its backends too (the pooled connections live through the run).
     */
    Map<String, ProcessCpu.Sample> samples() {
        Map<String, ProcessCpu.Sample> samples = new LinkedHashMap<>();
        processes.forEach((role, pid) -> {
            ProcessCpu.Sample sample = ProcessCpu.sample(pid);
            if (role.equals(POSTGRESQL_SERVER)) {
                for (ProcessHandle backend : ProcessHandle.of(pid).stream().flatMap(ProcessHandle::descendants).toList()) {
                    ProcessCpu.Sample more = sampleOrNull(backend.pid());
                    if (more != null) {
                        sample = new ProcessCpu.Sample(sample.cpuNanos() + more.cpuNanos(), sample.gcNanos(),
                            sample.jitNanos(), sample.rssBytes() + more.rssBytes());
                    }
                }
            }
            samples.put(role, sample);
        });
        return samples;
    }

    private static ProcessCpu.Sample sampleOrNull(long pid) {
        try {
            return ProcessCpu.sample(pid);
        } catch (RuntimeException ended) {
            return null; // a backend that ended between listing and reading
        }
    }

    /** Changes each replicator has handled: written, or skipped as already there (a redelivery). */
    Map<String, Long> processed() throws Exception {
        Map<String, Long> processed = new LinkedHashMap<>();
        for (Map.Entry<String, AdminEndpoint> replica : replicas.entrySet()) {
            processed.put(replica.getKey(), replica.getValue().statusNumber("applied")
                + replica.getValue().statusNumber("duplicates"));
        }
        return processed;
    }

    /** Polls until every replica handled {@code changes} more than {@code before}; returns when each did (nanoTime). */
    Map<String, Long> awaitReplicas(Map<String, Long> before, long changes) throws Exception {
        Map<String, Long> done = new LinkedHashMap<>();
        long deadline = System.nanoTime() + CATCH_UP_LIMIT.toNanos();
        while (done.size() < replicas.size()) {
            Map<String, Long> now = processed();
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

    /** Polls until some replica handled at least {@code changes} more than {@code before}; returns every count then. */
    Map<String, Long> awaitAnyReplica(Map<String, Long> before, long changes) throws Exception {
        long deadline = System.nanoTime() + CATCH_UP_LIMIT.toNanos();
        while (true) {
            Map<String, Long> now = processed();
            if (now.keySet().stream().anyMatch(target -> now.get(target) - before.get(target) >= changes)) {
                return now;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("within " + CATCH_UP_LIMIT + " no replica handled " + changes
                    + " changes: " + now);
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** Waits until no replicator handles anything for a second: nothing earlier is left to count in a run. */
    void awaitQuiet() throws Exception {
        Map<String, Long> last = processed();
        long quietSince = System.nanoTime();
        while (System.nanoTime() - quietSince < TimeUnit.SECONDS.toNanos(1)) {
            LockSupport.parkNanos(POLL_NANOS * 5);
            Map<String, Long> now = processed();
            if (!now.equals(last)) {
                last = now;
                quietSince = System.nanoTime();
            }
        }
    }

    /** The relay's and the replicators' configuration: an entities source, the transport and the two targets. */
    private static Path writeConfig(Path file, String jdbcUrl, FerryConfig.Transport transport) throws IOException {
        Files.createDirectories(file.getParent());
        String section = transport == FerryConfig.Transport.NATS ? """
            transport: nats
            nats:
              servers: ${FERRY_NATS_SERVERS}
              stream: ferry
              partitions: 6
            """ : """
            kafka:
              bootstrapServers: ${FERRY_KAFKA_BOOTSTRAP_SERVERS}
              partitions: 6
              replicationFactor: 1
              compression: none
            """;
        Files.writeString(file, """
            mongodb:
              uri: ${FERRY_MONGODB_URI}
              database: %s
            sources:
              - kind: entities
                collection: %s
                entity: %s
                initialLoad: none
            %s\
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
            """.formatted(ProductionLayout.DATABASE, COLLECTION, ENTITY, section, ProductionLayout.RELAY_NAME,
            Instant.now().minusSeconds(5), MONGODB_TARGET, ENTITY, POSTGRESQL_TARGET, EventJson.quote(jdbcUrl), ENTITY));
        return file;
    }

    /** The layout's processes (whose replicator writes to PostgreSQL) before the server. */
    @Override
    public void close() {
        try {
            if (layout != null) {
                layout.close();
            }
        } finally {
            postgres.close();
        }
    }
}
