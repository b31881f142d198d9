package dev.ferry.local.failure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;

import dev.ferry.app.failure.ChildProcess;
import dev.ferry.core.event.Event;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.local.BuiltJars;
import dev.ferry.local.demo.HealthcareDomain;
import dev.ferry.local.demo.HealthcareLoad;
import dev.ferry.local.demo.PipelineVerifier;
import dev.ferry.mongodb.relay.MongoCheckpointStore;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * Backfill: an event store holding 100,000 events (-Dferry.backfill.events for more), far more than the embedded
 * oplog still holds, is relayed with {@code initialLoad: copy} by relays running as separate JVMs under a small heap
 * while writers keep appending; the leader is killed (-9) mid-copy and a standby continues the copy from the
 * checkpointed progress. Every event reaches its topic, no aggregate's versions are reordered, a projector's read
 * model equals the fold of the store, and the relays never ran out of their heap: the copy's memory is bounded by
 * its page, not by the collection.
 */
@Timeout(900)
class BackfillInBoundedMemoryIT {

    private static final long STORED = Long.getLong("ferry.backfill.events", 100_000L);
    private static final long APPENDED_DURING = 1_000;
    /** The relay's heap: 100,000 events with their payloads would not fit in it; one page of the copy does. */
    private static final String RELAY_HEAP = "-Xmx96m";
    /** Far fewer than the history, enough for what is written during the copy (appends, lease renewals, checkpoints). */
    private static final int OPLOG_ENTRIES = 20_000;
    private static final int AGGREGATES = 2_000;

    /** The processes' logs, kept under target/ for a post-mortem. */
    private final Path dir = Path.of("target", "backfill-it");

    private final List<ChildProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, ChildProcess> relaysByInstance = new HashMap<>();
    private Map<String, String> env;
    private Path config;

    @AfterEach
    void cleanUp() {
        processes.forEach(ChildProcess::destroy);
    }

    @BeforeEach
    void freshLogs() throws IOException {
        if (Files.exists(dir)) {
            try (var files = Files.list(dir)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
        }
        Files.createDirectories(dir);
    }

    @Test
    void storedHistoryBeyondTheOplogIsCopiedThenStreamedWithTheLeaderKilledMidCopy() throws Exception {
        assertThat(List.of(BuiltJars.SERVICE, BuiltJars.LOCAL)).as("the jars built by mvn package")
            .allMatch(Files::exists);
        ChildProcess embedded = start("embedded", List.of("-Xmx2g"), "embedded", "--oplog-capacity",
            Integer.toString(OPLOG_ENTRIES));
        String mongoUri = embedded.awaitLine("FERRY_MONGODB_URI=(\\S+)", Duration.ofSeconds(60));
        String bootstrap = embedded.awaitLine("FERRY_KAFKA_BOOTSTRAP_SERVERS=(\\S+)", Duration.ofSeconds(60));
        embedded.awaitLine("(embedded stack running)", Duration.ofSeconds(60));
        env = Map.of("FERRY_MONGODB_URI", mongoUri, "FERRY_KAFKA_BOOTSTRAP_SERVERS", bootstrap);
        config = writeConfig();

        try (MongoClient client = MongoClients.create(mongoUri)) {
            MongoDatabase database = client.getDatabase("ferry");
            MongoEventStore store = new MongoEventStore(database, "events", new TopicNaming("ferry."),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
            // The history: stored before any relay ran, so the oplog kept only its last few thousand entries.
            long started = System.nanoTime();
            storeHistory(database.getCollection("events"));
            System.out.printf("BackfillInBoundedMemoryIT: %d commits stored in %d ms%n", STORED,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));

            // Started together, before either copies: a server busy with a copy answers a newcomer's first hello slowly.
            ChildProcess projector = start("projector-1", List.of("-Xmx384m"), "project", "--config", config.toString());
            ChildProcess relayA = startRelayProcess("relay-a");
            ChildProcess relayB = startRelayProcess("relay-b");
            projector.awaitLine("admin on port (\\d+)", Duration.ofSeconds(90));
            awaitStarted(relayA);
            awaitStarted(relayB);
            MongoCheckpointStore checkpoints = new MongoCheckpointStore(database, "ferry_leases");
            HealthcareLoad writers = new HealthcareLoad(store, AGGREGATES, APPENDED_DURING, 200, 150);
            writers.start();

            // Killed mid-copy, once some of its progress is checkpointed.
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(20))
                .until(() -> relaysAlive() && copyProgress(checkpoints).copied() > 0);
            String leader = leaseOwner(database);
            relaysByInstance.get(leader).kill();
            CheckpointStore.CopyProgress atKill = copyProgress(checkpoints);
            assertThat(atKill.complete()).as("killed mid-copy").isFalse();
            assertThat(writers.awaitDone(10, TimeUnit.MINUTES)).as("writers done").isTrue();

            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
                .until(() -> copyProgress(checkpoints).complete());
            PipelineVerifier verifier = new PipelineVerifier(database, "events");
            List<Event> stored = verifier.storedEvents();
            assertThat(stored).hasSize((int) (STORED + APPENDED_DURING));
            await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2)).until(() -> {
                PipelineVerifier.ReadModelVerdict verdict = verifier.readModel("latest_state", stored);
                return verdict.exact() && verdict.applies() >= stored.size();
            });
            PipelineVerifier.ReadModelVerdict readModel = verifier.readModel("latest_state", stored);
            PipelineVerifier.TopicVerdict topics = PipelineVerifier.topics(KafkaSettings.local(bootstrap),
                List.of("ferry.patient", "ferry.practitioner"));
            System.out.printf("BackfillInBoundedMemoryIT: stored %d (%d before the relays), copy at the kill: %d "
                    + "documents; topic records %d (%d distinct), order violations %d; applied %d, duplicates applied "
                    + "%d, read model exact %s%n", stored.size(), STORED, atKill.copied(), topics.records(),
                topics.distinctEvents(), topics.orderViolations(), readModel.applies(), readModel.duplicates(),
                readModel.exact());
            assertThat(topics.distinctEvents()).as("events published").isEqualTo(stored.size());
            assertThat(topics.orderViolations()).as("per-aggregate order on the topics").isZero();
            assertThat(readModel.duplicates()).isZero();
            assertThat(readModel.orderViolations()).isZero();
            assertThat(readModel.exact()).isTrue();
            for (ChildProcess relay : relaysByInstance.values()) {
                if (!relay.name().equals(relaysByInstance.get(leader).name())) {
                    assertThat(relay.isAlive()).as(relay.name() + " alive within " + RELAY_HEAP + ": " + relay.tail())
                        .isTrue();
                    assertThat(relay.tail()).as(relay.name() + "'s log").doesNotContain("OutOfMemoryError");
                }
            }
        }
    }

    /**
     * Commits as the documented contract (contracts/commit.bson-schema.json) has them, one event each, written in
     * bulk: the demo domain's register-then-update histories of {@link #AGGREGATES} aggregates, interleaved.
     */
    private static void storeHistory(MongoCollection<Document> events) {
        long perAggregate = STORED / AGGREGATES;
        List<Document> batch = new ArrayList<>();
        Date at = new Date();
        for (long version = 1; version <= perAggregate; version++) {
            for (int n = 0; n < AGGREGATES; n++) {
                boolean patient = n % 5 != 0; // one in five aggregates is a practitioner, as in the demo's load
                String type = patient ? HealthcareDomain.PATIENT : HealthcareDomain.PRACTITIONER;
                String id = type + "-" + n;
                Document payload = version == 1
                    ? new Document("name", (patient ? "Patient " : "Dr. ") + id).append(patient ? "ward" : "specialty",
                        patient ? (Object) (n % 19 + 1) : "cardiology").append("notes", "x".repeat(70))
                    : patient ? new Document("ward", (int) (version % 19 + 1)).append("pulse", (int) (50 + version % 70))
                    : new Document("onCall", version % 2 == 0);
                String eventType = (patient ? (version == 1 ? "PatientRegistered" : "PatientUpdated")
                    : (version == 1 ? "PractitionerRegistered" : "PractitionerUpdated"));
                batch.add(new Document("aggregateType", type).append("aggregateId", id).append("firstVersion", version)
                    .append("lastVersion", version).append("committedAt", at).append("events", List.of(
                        new Document("eventId", UUID.randomUUID().toString()).append("version", version)
                            .append("eventType", eventType).append("timestamp", at).append("payload", payload))));
                if (batch.size() == 1_000) {
                    events.insertMany(batch);
                    batch.clear();
                }
            }
        }
        if (!batch.isEmpty()) {
            events.insertMany(batch);
        }
    }

    private boolean relaysAlive() {
        relaysByInstance.values().stream().filter(relay -> !relay.isAlive()).findFirst().ifPresent(relay -> {
            throw new IllegalStateException(relay.name() + " exited: " + relay.tail());
        });
        return true;
    }

    private ChildProcess start(String name, List<String> jvmOptions, String... args) throws IOException {
        ChildProcess process = ChildProcess.start(name, BuiltJars.running(args[0]), dir, env == null ? Map.of() : env,
            jvmOptions, args);
        processes.add(process);
        return process;
    }

    /** The Dockerfile's options, with a heap far below the history's size. */
    private ChildProcess startRelayProcess(String name) throws IOException {
        return start(name, List.of(RELAY_HEAP, "-XX:+ExitOnOutOfMemoryError"), "relay", "--config", config.toString());
    }

    private void awaitStarted(ChildProcess relay) {
        relaysByInstance.put(relay.awaitLine("instance (\\S+) started", Duration.ofSeconds(90)), relay);
    }

    private Path writeConfig() throws IOException {
        Path file = dir.resolve("ferry.yml");
        Files.writeString(file, """
            mongodb:
              uri: ${FERRY_MONGODB_URI}
            sources:
              - kind: commits
                collection: events
                initialLoad: copy
            relay:
              # The embedded MongoDB answers one operation at a time, and the copy's first read sorts 100,000
              # documents: renewals wait behind it for seconds, which a real server does not make them do.
              leaseTtl: 15s
            kafka:
              bootstrapServers: ${FERRY_KAFKA_BOOTSTRAP_SERVERS}
              partitions: 6
              replicationFactor: 1
            projector:
              aggregateTypes: [patient, practitioner]
              applyLog: true
            admin:
              bind: 127.0.0.1
              port: 0
            """);
        return file;
    }

    private static CheckpointStore.CopyProgress copyProgress(MongoCheckpointStore checkpoints) {
        return checkpoints.load("ferry-relay").map(checkpoint -> checkpoint.copies().get("events"))
            .orElse(new CheckpointStore.CopyProgress("", 0, false));
    }

    private static String leaseOwner(MongoDatabase database) {
        Document lease = database.getCollection("ferry_leases").find(new Document("_id", "ferry-relay")).first();
        return lease == null ? null : lease.getString("owner");
    }
}
