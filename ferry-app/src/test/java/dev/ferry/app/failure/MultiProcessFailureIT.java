package dev.ferry.app.failure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.sun.net.httpserver.HttpServer;

import dev.ferry.app.demo.HealthcareLoad;
import dev.ferry.app.demo.PipelineVerifier;
import dev.ferry.app.wiring.KafkaTransport;
import dev.ferry.app.wiring.NatsTransport;
import dev.ferry.core.event.Event;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.mongodb.store.MongoEventStore;
import dev.ferry.nats.NatsSettings;

/**
 * The guarantees with real operating-system processes, on each transport: the embedded MongoDB and Kafka (or a
 * nats-server, its child) in one JVM ({@code ferry embedded}), 2 relays and 3 projectors as separate JVMs started from the built jar, a load with
 * conflicting appends, and faults at seeded random moments: {@code kill -9} of the leader relay and of a projector
 * mid-batch, SIGSTOP of the leader for longer than its lease (then SIGCONT: a zombie), a broker restart (Kafka, or
 * nats-server on the same store directory and port), and
 * an outage of the REST endpoint the projectors notify (through their circuit breakers) — nothing may be parked.
 * Killed processes are replaced, as Kubernetes would. On Kafka a projector kill counts only once it is confirmed, from
 * the group's committed offsets, the topic and the read model, to have landed mid-batch (records applied but not
 * acknowledged); otherwise another is killed, and the test fails if none lands. Then the event store, the topics, a
 * change stream on the read model (opened before any projector, so every write is seen) and the read model are checked
 * against each other. {@code -Dferry.failure.seed=N} replays a schedule.
 */
@Timeout(600)
class MultiProcessFailureIT {

    private static final Path JAR = Path.of("target", "ferry.jar");
    /** Events of the load; raise it (-Dferry.failure.events=100000) for a soak. */
    private static final long EVENTS = Long.getLong("ferry.failure.events", 6_000L);
    /** The read model of {@code ferry project}'s latest-state projection. */
    private static final String READ_MODEL = "latest_state";
    /** Projector kills tried before the test fails for never having landed one mid-batch. */
    private static final int MAX_PROJECTOR_KILLS = 3;

    @TempDir
    Path dir;

    private final List<ChildProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, ChildProcess> relaysByInstance = new HashMap<>();
    private final Map<ChildProcess, Integer> adminPorts = new HashMap<>();
    private final Map<ChildProcess, String> projectorInstances = new HashMap<>();
    private String brokerAddress;
    private final HttpClient http = HttpClient.newHttpClient();
    private Map<String, String> env;
    /** {@code kafka} or {@code nats}: the transport under test, and the embedded broker that restarts. */
    private String broker;
    private Path config;

    private HttpServer notifyEndpoint;
    private int notifyPort;
    private final AtomicLong notified = new AtomicLong();

    @AfterEach
    void cleanUp() {
        processes.forEach(ChildProcess::destroy);
        if (notifyEndpoint != null) {
            notifyEndpoint.stop(0);
        }
    }

    private void startNotifyEndpoint() throws IOException {
        notifyEndpoint = HttpServer.create(new InetSocketAddress("127.0.0.1", notifyPort), 0);
        notifyEndpoint.createContext("/events", exchange -> {
            exchange.getRequestBody().readAllBytes();
            notified.incrementAndGet();
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        notifyEndpoint.start();
        notifyPort = notifyEndpoint.getAddress().getPort();
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = {"kafka", "nats"})
    void nothingIsLostDuplicatedOrReorderedWhenProcessesDieStallAndTheBrokerRestarts(String transport) throws Exception {
        long seed = Long.getLong("ferry.failure.seed", 42L);
        Random random = new Random(seed);
        assertThat(JAR).as("the jar built by mvn package").exists();
        broker = transport;

        ChildProcess embedded = start("embedded", "embedded", "--oplog-capacity", "1000000", "--transport", transport);
        String mongoUri = embedded.awaitLine("FERRY_MONGODB_URI=(\\S+)", Duration.ofSeconds(60));
        String brokerVariable = transport.equals("nats") ? "FERRY_NATS_SERVERS" : "FERRY_KAFKA_BOOTSTRAP_SERVERS";
        brokerAddress = embedded.awaitLine(brokerVariable + "=(\\S+)", Duration.ofSeconds(60));
        embedded.awaitLine("(embedded stack running)", Duration.ofSeconds(60));
        env = Map.of("FERRY_MONGODB_URI", mongoUri, brokerVariable, brokerAddress);
        startNotifyEndpoint();
        config = writeConfig();

        startRelay("relay-a");
        startRelay("relay-b");
        try (MongoClient client = MongoClients.create(mongoUri);
             ReadModelWrites history = ReadModelWrites.watch(client.getDatabase("ferry").getCollection(READ_MODEL))) {
            MongoDatabase database = client.getDatabase("ferry");
            // The change stream is open before any projector writes: it sees every write to the read model.
            List<ChildProcess> projectors = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                projectors.add(startProjector("projector-" + i));
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> leaseOwner(database) != null);
            MongoEventStore store = new MongoEventStore(database, "events", new TopicNaming("ferry."),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
            HealthcareLoad load = new HealthcareLoad(store, 300, EVENTS, 300, 150);
            load.start();

            List<String> faults = new ArrayList<>(List.of("kill-leader-relay", "kill-projector", "pause-leader-relay",
                "restart-broker", "rest-outage"));
            Collections.shuffle(faults, random);
            List<String> log = new ArrayList<>();
            for (int i = 0; i < faults.size(); i++) {
                long at = EVENTS * (i + 1) / (faults.size() + 2) + random.nextInt(200);
                await().atMost(Duration.ofSeconds(120)).until(() -> load.appended() >= at);
                log.add(inject(faults.get(i), database, embedded, projectors, load, random));
            }
            assertThat(load.awaitDone(3, TimeUnit.MINUTES)).isTrue();

            PipelineVerifier verifier = new PipelineVerifier(database, "events");
            List<Event> stored = verifier.storedEvents();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                .until(() -> verifier.readModel(READ_MODEL, stored).exact());
            PipelineVerifier.ReadModelVerdict readModel = verifier.readModel(READ_MODEL, stored);
            // Duplicates and order from the change stream, not from the projectors' own apply log.
            ReadModelWrites.Verdict writes = history.verdictCovering(versions(database), Duration.ofSeconds(60));
            PipelineVerifier.TopicVerdict topics = PipelineVerifier.transported(transport.equals("nats")
                    ? new NatsTransport(NatsSettings.local(brokerAddress, "ferry").withPartitions(6))
                    : new KafkaTransport(KafkaSettings.local(brokerAddress)), Set.of("patient", "practitioner"));

            System.out.printf("MultiProcessFailureIT on %s (seed %d): %s%n  stored %d, records in the %s %d (%d stored "
                    + "more than once), lost %d, order violations there %d; applied %d, duplicates applied %d, apply "
                    + "order violations %d, read model exact %s; %d conflicting appends%n", transport, seed, log,
                stored.size(), transport.equals("nats") ? "stream" : "topics",
                topics.records(), topics.records() - topics.distinctEvents(), stored.size() - topics.distinctEvents(),
                topics.orderViolations(), writes.versionsCovered(), writes.duplicates(), writes.orderViolations(),
                readModel.exact(), load.conflicts());
            assertThat(stored).hasSize((int) EVENTS);
            assertThat(topics.distinctEvents()).as("lost events").isEqualTo(stored.size());
            assertThat(topics.orderViolations()).isZero();
            assertThat(writes.duplicates()).as("duplicate applies: %s", writes.examples()).isZero();
            assertThat(writes.orderViolations()).as("order violations: %s", writes.examples()).isZero();
            assertThat(writes.unreadable()).as("writes the change stream could not read").isZero();
            assertThat(writes.versionsCovered()).as("events applied").isEqualTo(stored.size());
            assertThat(readModel.exact()).isTrue();
            assertThat(database.getCollection("ferry_parked").countDocuments())
                .as("events parked (a dependency outage must pause, not park)").isZero();
            assertThat(notified.get()).isGreaterThanOrEqualTo(stored.size());
        }
    }

    private String inject(String fault, MongoDatabase database, ChildProcess embedded, List<ChildProcess> projectors,
                          HealthcareLoad load, Random random) throws Exception {
        long started = System.nanoTime();
        switch (fault) {
            case "kill-leader-relay" -> {
                String owner = leaseOwner(database);
                long epoch = leaseEpoch(database);
                relaysByInstance.get(owner).kill();
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> leaseEpoch(database) > epoch && leaseOwner(database) != null);
                long failover = millisSince(started);
                startRelay("relay-" + Long.toHexString(random.nextLong() & 0xffff));
                return fault + ": lease taken over " + failover + " ms after kill -9";
            }
            case "kill-projector" -> {
                if (!broker.equals("kafka")) {
                    // Not confirmed mid-batch on NATS (its acknowledgements are per-partition JetStream consumers'
                    // ack floors, not yet read here): this proves only that a killed and replaced projector loses
                    // and duplicates nothing.
                    ChildProcess victim = projectors.remove(random.nextInt(projectors.size()));
                    victim.kill();
                    projectors.add(startProjector("projector-" + Long.toHexString(random.nextLong() & 0xffff)));
                    return fault + ": " + victim.name() + " killed -9 and replaced (mid-batch not confirmed on NATS)";
                }
                List<String> kills = new ArrayList<>();
                for (int attempt = 1; attempt <= MAX_PROJECTOR_KILLS; attempt++) {
                    ChildProcess victim = projectors.remove(random.nextInt(projectors.size()));
                    MidBatch evidence = killMidBatch(database, victim);
                    projectors.add(startProjector("projector-" + Long.toHexString(random.nextLong() & 0xffff)));
                    kills.add(victim.name() + " " + evidence);
                    if (evidence.landed()) {
                        return fault + ": " + String.join("; ", kills) + "; each killed -9 and replaced";
                    }
                }
                throw new AssertionError("none of " + MAX_PROJECTOR_KILLS + " projector kills landed mid-batch "
                    + "(records applied but not acknowledged): " + kills);
            }
            case "pause-leader-relay" -> {
                String owner = leaseOwner(database);
                long epoch = leaseEpoch(database);
                ChildProcess leader = relaysByInstance.get(owner);
                leader.signal("STOP");
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                    .until(() -> leaseEpoch(database) > epoch);
                long takenOver = millisSince(started);
                leader.signal("CONT");
                return fault + ": SIGSTOP; a standby took the lease after " + takenOver + " ms; SIGCONT";
            }
            case "restart-broker" -> {
                // nats-server restarts on the same store directory and port
                embedded.send(broker + " stop");
                embedded.awaitLine("(" + broker + " stopped)", Duration.ofSeconds(60));
                long appended = load.appended();
                await().atMost(Duration.ofSeconds(60)).until(() -> load.appended() >= appended + 300
                    || load.awaitDone(0, TimeUnit.MILLISECONDS));
                embedded.send(broker + " start");
                embedded.awaitLine("(" + broker + " started)", Duration.ofSeconds(60));
                return fault + ": broker down for " + millisSince(started) + " ms";
            }
            case "rest-outage" -> {
                notifyEndpoint.stop(0);
                // The outage lasts until a projector reports its breaker open (its partitions then pause).
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                    .until(() -> projectors.stream().anyMatch(this::breakerOpen));
                long opened = millisSince(started);
                startNotifyEndpoint();
                return fault + ": notify endpoint down " + millisSince(started) + " ms, a breaker open after " + opened
                    + " ms";
            }
            default -> throw new IllegalArgumentException(fault);
        }
    }

    private ChildProcess start(String name, String... args) throws IOException {
        ChildProcess process = ChildProcess.start(name, JAR, dir, env == null ? Map.of() : env, args);
        processes.add(process);
        return process;
    }

    private void startRelay(String name) throws IOException {
        ChildProcess relay = startRestartingIfUnreachable(name, "relay", "instance (\\S+) started");
        relaysByInstance.put(relay.awaitLine("instance (\\S+) started", Duration.ofSeconds(1)), relay);
    }

    private ChildProcess startProjector(String name) throws IOException {
        ChildProcess projector = startRestartingIfUnreachable(name, "project", "admin on port (\\d+)");
        adminPorts.put(projector, Integer.parseInt(projector.awaitLine("admin on port (\\d+)", Duration.ofSeconds(1))));
        projectorInstances.put(projector, projector.awaitLine("instance (\\S+) started", Duration.ofSeconds(1)));
        return projector;
    }

    /**
     * Kills a projector (Kafka) once it is working, and reads from outside whether the kill landed mid-batch: right
     * after it, the group's committed offsets of its partitions, the read model's versions, then the group again —
     * still holding the dead member with those partitions, so nobody else committed or wrote them since. Records of
     * those partitions from the committed offsets on whose events the read model holds were applied, not acknowledged.
     */
    private MidBatch killMidBatch(MongoDatabase database, ChildProcess victim) throws Exception {
        String group = KafkaTransport.groupId(READ_MODEL);
        String clientId = READ_MODEL + "-" + projectorInstances.get(victim);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokerAddress))) {
            Set<TopicPartition> owned = new HashSet<>();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
                owned.clear();
                owners(admin, group).forEach((partition, owner) -> {
                    if (owner.equals(clientId)) {
                        owned.add(partition);
                    }
                });
                return !owned.isEmpty();
            });
            // Working on them: it has acknowledged progress on each since it got them (not a handover's leftovers).
            Map<TopicPartition, Long> atAssignment = committed(admin, group, owned);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
                Map<TopicPartition, Long> now = committed(admin, group, owned);
                return owned.stream().allMatch(p -> now.getOrDefault(p, -1L) > atAssignment.getOrDefault(p, -1L));
            });
            victim.kill();
            Map<TopicPartition, Long> committed = committed(admin, group, owned);
            Map<String, Long> applied = versions(database);
            Map<TopicPartition, String> owners = owners(admin, group);
            boolean unmoved = owned.stream().allMatch(p -> clientId.equals(owners.get(p)));
            long pending = 0;
            long appliedUnacknowledged = 0;
            for (ConsumerRecord<String, String> record : recordsFrom(committed)) {
                Document event = Document.parse(record.value());
                pending++;
                if (applied.getOrDefault(event.getString("aggregateId"), 0L)
                    >= ((Number) event.get("version")).longValue()) {
                    appliedUnacknowledged++;
                }
            }
            return new MidBatch(committed, pending, appliedUnacknowledged, unmoved);
        }
    }

    /** Past the committed offsets at the kill: {@code pending} records, {@code appliedUnacknowledged} already applied. */
    private record MidBatch(Map<TopicPartition, Long> committed, long pending, long appliedUnacknowledged,
                            boolean unmoved) {
        boolean landed() {
            return unmoved && appliedUnacknowledged > 0;
        }

        @Override
        public String toString() {
            return "killed with " + appliedUnacknowledged + " of " + pending + " records past the committed offsets "
                + committed + " already applied" + (unmoved ? "" : " (partitions moved before the read: not counted)");
        }
    }

    private static Map<TopicPartition, String> owners(Admin admin, String group) throws Exception {
        Map<TopicPartition, String> owners = new HashMap<>();
        for (MemberDescription member : admin.describeConsumerGroups(List.of(group)).describedGroups().get(group).get()
            .members()) {
            member.assignment().topicPartitions().forEach(p -> owners.put(p, member.clientId()));
        }
        return owners;
    }

    private static Map<TopicPartition, Long> committed(Admin admin, String group, Set<TopicPartition> partitions)
        throws Exception {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().forEach((partition, offset) -> {
            if (partitions.contains(partition) && offset != null) {
                offsets.put(partition, offset.offset());
            }
        });
        return offsets;
    }

    /** Every record of the partitions from the offsets to their ends now; fails naming any it could not read to the end. */
    private List<ConsumerRecord<String, String>> recordsFrom(Map<TopicPartition, Long> from) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokerAddress,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
            new StringDeserializer())) {
            consumer.assign(from.keySet());
            from.forEach(consumer::seek);
            Map<TopicPartition, Long> ends = consumer.endOffsets(from.keySet());
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (from.keySet().stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the killed projector's partitions to their ends: "
                        + from.keySet().stream().filter(p -> consumer.position(p) < ends.get(p))
                            .map(p -> p + " at " + consumer.position(p) + " of " + ends.get(p)).toList());
                }
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        records.add(record);
                    }
                });
            }
        }
        return records;
    }

    /** The read model's version of each aggregate now. */
    private static Map<String, Long> versions(MongoDatabase database) {
        Map<String, Long> versions = new HashMap<>();
        for (Document document : database.getCollection(READ_MODEL).find()) {
            versions.put(document.getString("_id"), ((Number) document.get("_version")).longValue());
        }
        return versions;
    }

    /**
     * Starts a command and waits for its start line. One that exits with status 3 (a backend did not answer within
     * 5 s at start: on a loaded 2-core machine, right after a fault) is started again, as Kubernetes would.
     */
    private ChildProcess startRestartingIfUnreachable(String name, String command, String started) throws IOException {
        for (int attempt = 1; ; attempt++) {
            ChildProcess process = start(attempt == 1 ? name : name + "-restart" + attempt, command, "--config",
                config.toString());
            try {
                process.awaitLine(started, Duration.ofSeconds(90));
                return process;
            } catch (IllegalStateException exited) {
                if (attempt == 3 || !String.valueOf(exited.getMessage()).contains("exited with 3")) {
                    throw exited;
                }
                System.out.printf("MultiProcessFailureIT: %s restarted: %s%n", name, exited.getMessage().lines()
                    .findFirst().orElse(""));
            }
        }
    }

    private boolean breakerOpen(ChildProcess projector) {
        try {
            HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + adminPorts.get(projector) + "/status")).build(), HttpResponse.BodyHandlers.ofString());
            return status.body().contains("\"notify\":\"OPEN\"");
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }

    private Path writeConfig() throws IOException {
        Path file = dir.resolve("ferry.yml");
        String transport = broker.equals("nats") ? """
            transport: nats
            nats:
              servers: ${FERRY_NATS_SERVERS}
              partitions: 6
            """ : """
            kafka:
              bootstrapServers: ${FERRY_KAFKA_BOOTSTRAP_SERVERS}
              partitions: 6
              replicationFactor: 1
            """;
        Files.writeString(file, """
            mongodb:
              uri: ${FERRY_MONGODB_URI}
            """ + transport + """
            relay:
              start: %s
            projector:
              aggregateTypes: [patient, practitioner]
              notifyUrl: http://127.0.0.1:%d/events
            admin:
              bind: 127.0.0.1
              port: 0
            """.formatted(Instant.now().minusSeconds(5), notifyPort));
        return file;
    }

    private static String leaseOwner(MongoDatabase database) {
        Document lease = database.getCollection("ferry_leases").find(new Document("_id", "ferry-relay")).first();
        return lease == null ? null : lease.getString("owner");
    }

    private static long leaseEpoch(MongoDatabase database) {
        Document lease = database.getCollection("ferry_leases").find(new Document("_id", "ferry-relay")).first();
        return lease == null ? 0 : ((Number) lease.get("epoch")).longValue();
    }

    private static long millisSince(long nanos) {
        return (System.nanoTime() - nanos) / 1_000_000;
    }
}
