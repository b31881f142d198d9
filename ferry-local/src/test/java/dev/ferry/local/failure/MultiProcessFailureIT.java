package dev.ferry.local.failure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.awaitility.core.ConditionTimeoutException;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.sun.net.httpserver.HttpServer;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.MessageInfo;

import dev.ferry.app.failure.ChildProcess;
import dev.ferry.core.event.Event;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.kafka.KafkaTransport;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.local.BuiltJars;
import dev.ferry.local.demo.HealthcareLoad;
import dev.ferry.local.demo.PipelineVerifier;
import dev.ferry.mongodb.store.MongoEventStore;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.NatsTransport;

/**
 * The guarantees with real operating-system processes, on each transport: the embedded MongoDB and Kafka (or a
 * nats-server, its child) in one JVM ({@code ferry embedded}, from this module's jar), 2 relays and 3 projectors as
 * separate JVMs started from the service jar (ferry-app's, the one the image carries), a load with conflicting
 * appends, and faults at seeded random moments: {@code kill -9} of the leader relay and of a projector mid-batch,
 * SIGSTOP of the leader for longer than its lease (then SIGCONT: a zombie), a broker restart (Kafka, or nats-server on
 * the same store directory and port), and an outage of the REST endpoint the projectors notify (through their circuit
 * breakers) — nothing may be parked. Killed processes are replaced, as Kubernetes would. A projector kill counts only
 * once it is confirmed from outside to
 * have landed mid-batch: on partitions it alone was given (acknowledged past where they ended once it held them),
 * records applied to the read model but not acknowledged (past the group's committed offsets on Kafka — counting an
 * event only at its first copy, not a relay's re-published one — the partition consumers' ack floors on NATS);
 * otherwise another is killed, and the test fails if none lands.
 * A leader pause counts only once the broker holds records it published past the checkpoint it left (else the next
 * leader is paused, and the test fails if none had work in flight). Then the event store, the topics, a change stream
 * on the read model (opened before any projector, so every write is seen) and the read model are checked against each
 * other, and a change stream on the relay's lease document (opened before any fault) shows that no paused leader's
 * checkpoint was written after its successor's first write, no deposed leader's at all, and the checkpoint never moved
 * back. {@code -Dferry.failure.seed=N} replays a schedule.
 */
@Timeout(600)
class MultiProcessFailureIT {

    /** Events of the load; raise it (-Dferry.failure.events=100000) for a soak. */
    private static final long EVENTS = Long.getLong("ferry.failure.events", 6_000L);
    /** The read model of {@code ferry project}'s latest-state projection. */
    private static final String READ_MODEL = "latest_state";
    /** Projector kills tried before the test fails for never having landed one mid-batch. */
    private static final int MAX_PROJECTOR_KILLS = 3;
    /** Leader pauses tried before the test fails for never having caught one with records not yet checkpointed. */
    private static final int MAX_LEADER_PAUSES = 3;
    /** The relay's lease document, where its checkpoint lives, in the lease collection. */
    private static final String RELAY_LEASE = "ferry-relay";
    private static final String LEASES = "ferry_leases";
    private static final String STREAM = "ferry";

    /** The processes' logs and config: kept under target/ after the run, the evidence when a case fails. */
    private Path dir;

    private final List<ChildProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, ChildProcess> relaysByInstance = new HashMap<>();
    private final Map<ChildProcess, Integer> adminPorts = new HashMap<>();
    private final Map<ChildProcess, String> projectorInstances = new HashMap<>();
    private String brokerAddress;
    /** The lease document's writes, from a change stream opened before any fault. */
    private CheckpointWrites checkpointWrites;
    /** Per leader paused: its epoch, and its records published but not checkpointed at the pause. */
    private final Map<Long, Long> pausedInFlight = new HashMap<>();
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
        assertThat(List.of(BuiltJars.SERVICE, BuiltJars.LOCAL)).as("the jars built by mvn package")
            .allMatch(Files::exists);
        broker = transport;
        dir = Files.createDirectories(Path.of("target", "multi-process-failure", transport + "-" + System.currentTimeMillis()));
        System.out.println("MultiProcessFailureIT on " + transport + ": the processes' logs are in " + dir.toAbsolutePath());

        ChildProcess embedded = start("embedded", "embedded", "--oplog-capacity", "1000000", "--transport", transport);
        String mongoUri = embedded.awaitLine("FERRY_MONGODB_URI=(\\S+)", Duration.ofSeconds(60));
        String brokerVariable = transport.equals("nats") ? "FERRY_NATS_SERVERS" : "FERRY_KAFKA_BOOTSTRAP_SERVERS";
        brokerAddress = embedded.awaitLine(brokerVariable + "=(\\S+)", Duration.ofSeconds(60));
        embedded.awaitLine("(embedded stack running)", Duration.ofSeconds(60));
        env = Map.of("FERRY_MONGODB_URI", mongoUri, brokerVariable, brokerAddress);
        startNotifyEndpoint();
        config = writeConfig(false);

        startRelay("relay-a");
        startRelay("relay-b");
        try (MongoClient client = MongoClients.create(mongoUri);
             ReadModelWrites history = ReadModelWrites.watch(client.getDatabase("ferry").getCollection(READ_MODEL));
             CheckpointWrites checkpoints = CheckpointWrites.watch(client.getDatabase("ferry").getCollection(LEASES),
                 RELAY_LEASE)) {
            MongoDatabase database = client.getDatabase("ferry");
            checkpointWrites = checkpoints;
            // The change stream is open before any projector writes: it sees every write to the read model.
            List<ChildProcess> projectors = new ArrayList<>();
            for (int i = 1; i <= 3; i++) {
                projectors.add(startProjector("projector-" + i));
            }
            await().atMost(Duration.ofSeconds(90)).until(() -> leaseOwner(database) != null);
            MongoEventStore store = new MongoEventStore(database, "events", new TopicNaming("ferry."),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
            // Runs until every fault is done and EVENTS are appended: a fault confirmed from outside (a kill mid-batch,
            // a pause with work in flight, a breaker opened by failing notifications) needs the load still running, and
            // the time a fault takes varies with the machine.
            HealthcareLoad load = new HealthcareLoad(store, 300, Long.MAX_VALUE, 300, 150);
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
            // EVENTS at 300/s take 20 s from the start; the faults may have taken longer (then the load is past it)
            await().atMost(Duration.ofMinutes(2)).until(() -> load.appended() >= EVENTS);
            load.stop();
            assertThat(load.awaitDone(1, TimeUnit.MINUTES)).as("the load stopped").isTrue();

            PipelineVerifier verifier = new PipelineVerifier(database, "events");
            List<Event> stored = verifier.storedEvents();
            try {
                await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1))
                    .until(() -> verifier.readModel(READ_MODEL, stored).exact());
            } catch (ConditionTimeoutException e) {
                throw new AssertionError("the read model is not the fold of the " + stored.size() + " stored events 3 "
                    + "minutes after the load ended: " + behind(stored, versions(database)) + "; faults: " + log
                    + "; projectors' status: " + projectors.stream().filter(ChildProcess::isAlive)
                    .map(p -> p.name() + "=" + statusOf(p)).toList() + "; logs in " + dir.toAbsolutePath(), e);
            }
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
            assertThat(stored).as("events appended by the load").hasSize((int) load.appended());
            assertThat(load.appended()).isGreaterThanOrEqualTo(EVENTS);
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
            assertCheckpointNeverMovedByADeposedLeader(database);
        }
    }

    /**
     * Kafka's exactly-once mode with real processes (issue 35): the embedded stack, 2 relays from the service jar with
     * {@code kafka.exactlyOnce: true}, the load, and the relay's faults at seeded moments — {@code kill -9} of the leader
     * (its transaction left open), SIGSTOP of the leader past its lease with records sent and not committed (then
     * SIGCONT: a zombie), and a broker restart. A {@code read_committed} reader of the topics then finds every stored
     * event exactly once, in each key's order, and the lease document shows no checkpoint written by a deposed leader.
     * No projectors: their guarantees are the other cases'; this one is about what the topics hold.
     */
    @Test
    void inKafkasExactlyOnceModeRelayKillsAPauseAndABrokerRestartLeaveEveryEventOnceForACommittedReader()
        throws Exception {
        long seed = Long.getLong("ferry.failure.seed", 42L);
        Random random = new Random(seed);
        broker = "kafka";
        dir = Files.createDirectories(Path.of("target", "multi-process-failure", "kafka-exactly-once-"
            + System.currentTimeMillis()));
        System.out.println("MultiProcessFailureIT exactly-once: the processes' logs are in " + dir.toAbsolutePath());
        ChildProcess embedded = start("embedded", "embedded", "--oplog-capacity", "1000000", "--transport", "kafka");
        String mongoUri = embedded.awaitLine("FERRY_MONGODB_URI=(\\S+)", Duration.ofSeconds(60));
        brokerAddress = embedded.awaitLine("FERRY_KAFKA_BOOTSTRAP_SERVERS=(\\S+)", Duration.ofSeconds(60));
        embedded.awaitLine("(embedded stack running)", Duration.ofSeconds(60));
        env = Map.of("FERRY_MONGODB_URI", mongoUri, "FERRY_KAFKA_BOOTSTRAP_SERVERS", brokerAddress);
        startNotifyEndpoint();
        config = writeConfig(true);

        startRelay("relay-a");
        startRelay("relay-b");
        try (MongoClient client = MongoClients.create(mongoUri);
             CheckpointWrites checkpoints = CheckpointWrites.watch(client.getDatabase("ferry").getCollection(LEASES),
                 RELAY_LEASE)) {
            MongoDatabase database = client.getDatabase("ferry");
            checkpointWrites = checkpoints;
            await().atMost(Duration.ofSeconds(90)).until(() -> leaseOwner(database) != null);
            MongoEventStore store = new MongoEventStore(database, "events", new TopicNaming("ferry."),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
            HealthcareLoad load = new HealthcareLoad(store, 300, Long.MAX_VALUE, 300, 150);
            load.start();
            List<String> faults = new ArrayList<>(List.of("kill-leader-relay", "pause-leader-relay", "restart-broker"));
            Collections.shuffle(faults, random);
            List<String> log = new ArrayList<>();
            for (int i = 0; i < faults.size(); i++) {
                long at = EVENTS * (i + 1) / (faults.size() + 2) + random.nextInt(200);
                await().atMost(Duration.ofSeconds(120)).until(() -> load.appended() >= at);
                log.add(inject(faults.get(i), database, embedded, List.of(), load, random));
            }
            await().atMost(Duration.ofMinutes(2)).until(() -> load.appended() >= EVENTS);
            load.stop();
            assertThat(load.awaitDone(1, TimeUnit.MINUTES)).as("the load stopped").isTrue();

            List<Event> stored = new PipelineVerifier(database, "events").storedEvents();
            KafkaTransport kafka = new KafkaTransport(KafkaSettings.local(brokerAddress));
            Set<String> types = Set.of("patient", "practitioner");
            // The relays publish the last changes after the load stops: read until every stored event is there.
            AtomicReference<PipelineVerifier.TopicVerdict> read = new AtomicReference<>();
            try {
                await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                    read.set(PipelineVerifier.transported(kafka, types));
                    return read.get().distinctEvents() >= stored.size();
                });
            } catch (ConditionTimeoutException e) {
                // the last read stands: the assertions below say what it lacks
            }
            PipelineVerifier.TopicVerdict topics = read.get();
            long uncommitted = published().size();
            System.out.printf("MultiProcessFailureIT exactly-once (seed %d): %s%n  stored %d; read_committed: %d records, "
                    + "%d stored more than once, lost %d, order violations %d; read_uncommitted: %d records%n", seed, log,
                stored.size(), topics.records(), topics.records() - topics.distinctEvents(),
                stored.size() - topics.distinctEvents(), topics.orderViolations(), uncommitted);
            assertThat(stored).as("events appended by the load").hasSize((int) load.appended());
            assertThat(topics.distinctEvents()).as("lost events").isEqualTo(stored.size());
            assertThat(topics.records() - topics.distinctEvents()).as("duplicates a read_committed reader sees")
                .isZero();
            assertThat(topics.orderViolations()).isZero();
            assertCheckpointNeverMovedByADeposedLeader(database);
        }
    }

    /**
     * The lease document's whole history, once the change stream has shown the state stored now (the load is done, so
     * long after every paused leader woke): no checkpoint write of a paused leader's epoch after its successor's first
     * write, none by any deposed leader, and the checkpoint's sequence never moved back.
     */
    private void assertCheckpointNeverMovedByADeposedLeader(MongoDatabase database) {
        Document stored = database.getCollection(LEASES).find(new Document("_id", RELAY_LEASE)).first();
        assertThat(stored).as("the relay's lease document").isNotNull();
        List<CheckpointWrites.State> states = checkpointWrites.covering(stored, Duration.ofSeconds(60));
        System.out.printf("  the relay's lease: %d writes seen, %d of them checkpoints, epochs up to %d; paused leaders "
                + "(epoch=records in flight at the pause): %s%n", states.size(),
            states.stream().filter(CheckpointWrites.State::checkpointWritten).count(),
            states.isEmpty() ? 0 : states.get(states.size() - 1).leaseEpoch(), pausedInFlight);
        for (long epoch : pausedInFlight.keySet()) {
            assertThat(CheckpointWrites.writesOfEpochAfterTakeover(states, epoch))
                .as("checkpoint writes of the paused leader's epoch %d after its successor's first write", epoch)
                .isEmpty();
        }
        assertThat(CheckpointWrites.violations(states)).as("checkpoint writes of the relay's lease").isEmpty();
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
                List<String> kills = new ArrayList<>();
                for (int attempt = 1; attempt <= MAX_PROJECTOR_KILLS; attempt++) {
                    ChildProcess victim = projectors.remove(random.nextInt(projectors.size()));
                    MidBatch evidence = broker.equals("kafka") ? killMidBatch(database, victim)
                        : killMidBatchOnNats(database, victim);
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
                List<String> pauses = new ArrayList<>();
                for (int attempt = 1; attempt <= MAX_LEADER_PAUSES; attempt++) {
                    long pausedAt = System.nanoTime();
                    String owner = leaseOwner(database);
                    long epoch = leaseEpoch(database);
                    ChildProcess leader = relaysByInstance.get(owner);
                    leader.signal("STOP");
                    long inFlight;
                    try {
                        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                            .until(() -> leaseEpoch(database) > epoch);
                        // While it is still stopped: what it published beyond the checkpoint it left (the last one
                        // written before the takeover, in the change stream's order), read from the broker.
                        CheckpointWrites.State left = checkpointWrites.atTakeoverFrom(epoch, Duration.ofSeconds(30));
                        inFlight = published().stream()
                            .filter(r -> r.epoch() == epoch && r.sequence() > left.checkpointSequence()).count();
                        pauses.add(owner + " (epoch " + epoch + ") paused with " + inFlight + " records published "
                            + "past its checkpoint (" + left + "), lease taken over after " + millisSince(pausedAt)
                            + " ms");
                    } finally {
                        leader.signal("CONT");
                    }
                    pausedInFlight.put(epoch, inFlight);
                    if (inFlight > 0) {
                        return fault + ": " + String.join("; ", pauses) + "; SIGCONT";
                    }
                }
                throw new AssertionError("none of " + MAX_LEADER_PAUSES + " leader pauses caught records published "
                    + "but not checkpointed (no work in flight to go stale): " + pauses);
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
        ChildProcess process = ChildProcess.start(name, BuiltJars.running(args[0]), dir, env == null ? Map.of() : env,
            args);
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
     * Kills a projector (Kafka) once it is working on its own, and reads from outside whether the kill landed
     * mid-batch. Working: among the partitions the group has it own, those whose committed offset has passed the end
     * offset read once it owned them — so every record before the committed offset was acknowledged (by it or a
     * previous owner) and every record from it on was published after it got the partition, delivered to it alone.
     * Right after the kill: the committed offsets of those partitions, the read model's versions, then the group again
     * — still holding the dead member with those partitions, so nobody else committed or wrote them since. Then those
     * partitions from their beginning: an event counts as applied, not acknowledged, if its first copy is at or past
     * the committed offset (a copy re-published after a relay kill, of an event first published before, does not) and
     * the read model's version of its aggregate is at or above the event's.
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
            Map<TopicPartition, Long> endsAtAssignment = endOffsets(owned);
            Set<TopicPartition> working = new HashSet<>();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
                Map<TopicPartition, Long> now = committed(admin, group, owned);
                owned.stream().filter(p -> now.getOrDefault(p, -1L) > endsAtAssignment.get(p)).forEach(working::add);
                return !working.isEmpty();
            });
            victim.kill();
            Map<TopicPartition, Long> committed = committed(admin, group, working);
            Map<String, Long> applied = versions(database);
            Map<TopicPartition, String> owners = owners(admin, group);
            boolean unmoved = committed.keySet().equals(working)
                && working.stream().allMatch(p -> clientId.equals(owners.get(p)));
            Map<TopicPartition, Long> beginning = new HashMap<>();
            working.forEach(p -> beginning.put(p, 0L));
            Set<String> seen = new HashSet<>();
            long pending = 0;
            long republished = 0;
            long appliedUnacknowledged = 0;
            // in offset order per partition, and an event's copies share its aggregate's partition
            for (ConsumerRecord<String, String> record : recordsFrom(beginning)) {
                boolean first = seen.add(eventId(record));
                if (record.offset() < committed.getOrDefault(new TopicPartition(record.topic(), record.partition()),
                    Long.MAX_VALUE)) {
                    continue;
                }
                if (!first) {
                    republished++;
                    continue;
                }
                Document event = Document.parse(record.value());
                pending++;
                if (applied.getOrDefault(event.getString("aggregateId"), 0L)
                    >= ((Number) event.get("version")).longValue()) {
                    appliedUnacknowledged++;
                }
            }
            Map<String, Long> acknowledged = new HashMap<>();
            committed.forEach((partition, offset) -> acknowledged.put(partition.toString(), offset));
            return new MidBatch("committed offsets", acknowledged, pending, appliedUnacknowledged, unmoved)
                .withRepublished(republished);
        }
    }

    /**
     * Kills a projector (NATS) once it is working, and reads from outside whether the kill landed mid-batch. Its
     * partitions and their lease epochs are its partition leases in MongoDB; each owned partition is a durable
     * JetStream consumer named {@code <projection>_<type>_<n>_e<epoch>} whose ack floor is what it acknowledged
     * (policy all: a prefix). Working: the floor passed the stream's last sequence as seen once it held the partition,
     * so every record past the floor at the kill was delivered to it alone (not a predecessor's leftovers). Right after
     * the kill: the floors, the read model's versions, then the leases again — still the dead instance's at the same
     * epochs, so no successor's consumer started and nobody else wrote those aggregates since. Records of those
     * partitions past the floors whose events the read model holds were applied, not acknowledged.
     */
    private MidBatch killMidBatchOnNats(MongoDatabase database, ChildProcess victim) throws Exception {
        String instance = projectorInstances.get(victim);
        NatsSettings nats = natsSettings();
        Connection connection = NatsConnections.open(nats, "ferry-failure-test");
        try {
            JetStreamManagement management = connection.jetStreamManagement();
            Map<String, Long> owned = new HashMap<>();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
                owned.clear();
                owned.putAll(partitionLeases(database, instance));
                return !owned.isEmpty();
            });
            long before = management.getStreamInfo(STREAM).getStreamState().getLastSequence();
            Set<String> working = new HashSet<>();
            // Killed when one of its working partitions has records delivered and not yet acknowledged: a projector
            // that keeps up acknowledges each batch within milliseconds of writing it, so a kill at any other moment
            // mostly finds nothing applied past the floors. Whether it landed is read afresh after the kill.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(20)).until(() -> {
                boolean inFlight = false;
                for (Map.Entry<String, Long> partition : owned.entrySet()) {
                    ConsumerInfo info = consumerInfo(management, partition.getKey(), partition.getValue());
                    if (info != null && info.getAckFloor().getStreamSequence() > before) {
                        working.add(partition.getKey());
                        inFlight |= info.getNumAckPending() > 0;
                    }
                }
                return inFlight;
            });
            victim.kill();
            Map<String, Long> floors = new HashMap<>();
            for (String partition : working) {
                Long floor = ackFloor(management, partition, owned.get(partition));
                if (floor != null) {
                    floors.put(partition, floor);
                }
            }
            long last = management.getStreamInfo(STREAM).getStreamState().getLastSequence();
            Map<String, Long> applied = versions(database);
            Map<String, Long> leasesNow = partitionLeases(database, instance);
            boolean unmoved = floors.size() == working.size()
                && working.stream().allMatch(p -> owned.get(p).equals(leasesNow.get(p)));
            Map<String, String> partitionOfSubject = new HashMap<>();
            for (String partition : floors.keySet()) {
                int dash = partition.lastIndexOf('-');
                partitionOfSubject.put(nats.subjects().subject(partition.substring(0, dash),
                    Integer.parseInt(partition.substring(dash + 1))), partition);
            }
            long pending = 0;
            long appliedUnacknowledged = 0;
            long from = floors.values().stream().mapToLong(Long::longValue).min().orElse(last);
            for (long sequence = from + 1; sequence <= last; sequence++) {
                // Fails loudly (not found) rather than skipping a message it could not read.
                MessageInfo message = management.getMessage(STREAM, sequence);
                String partition = partitionOfSubject.get(message.getSubject());
                if (partition == null || sequence <= floors.get(partition)) {
                    continue;
                }
                Document event = Document.parse(new String(message.getData(), StandardCharsets.UTF_8));
                pending++;
                if (applied.getOrDefault(event.getString("aggregateId"), 0L)
                    >= ((Number) event.get("version")).longValue()) {
                    appliedUnacknowledged++;
                }
            }
            return new MidBatch("ack floors", floors, pending, appliedUnacknowledged, unmoved);
        } finally {
            connection.close();
        }
    }

    /** The projection's partitions {@code instance} holds a lease of, by {@code type-n}, with the lease's epoch. */
    private static Map<String, Long> partitionLeases(MongoDatabase database, String instance) {
        String prefix = READ_MODEL + ".partition.";
        Map<String, Long> held = new HashMap<>();
        for (Document lease : database.getCollection(LEASES).find(new Document("owner", instance))) {
            String id = lease.getString("_id");
            if (id.startsWith(prefix)) {
                held.put(id.substring(prefix.length()), ((Number) lease.get("epoch")).longValue());
            }
        }
        return held;
    }

    /** The ack floor (stream sequence) of the partition's consumer of that epoch, or null if it does not exist. */
    private static Long ackFloor(JetStreamManagement management, String partition, long epoch) throws IOException {
        ConsumerInfo info = consumerInfo(management, partition, epoch);
        return info == null ? null : info.getAckFloor().getStreamSequence();
    }

    /** The partition's consumer of that epoch as the server reports it, or null if it does not exist. */
    private static ConsumerInfo consumerInfo(JetStreamManagement management, String partition, long epoch)
        throws IOException {
        int dash = partition.lastIndexOf('-');
        // PartitionConsumer's naming: consumer names allow no '.', '*', '>' or white space
        String name = (READ_MODEL + "_" + partition.substring(0, dash) + "_" + partition.substring(dash + 1) + "_e")
            .replaceAll("[^A-Za-z0-9_-]", "_") + epoch;
        try {
            return management.getConsumerInfo(STREAM, name);
        } catch (JetStreamApiException e) {
            if (e.getErrorCode() == 404) {
                return null; // not created yet, or deleted by a successor
            }
            throw new IllegalStateException("cannot read consumer " + name + ": " + e.getMessage(), e);
        }
    }

    private NatsSettings natsSettings() {
        return NatsSettings.local(brokerAddress, STREAM).withPartitions(6);
    }

    /** Every record the relays have published so far, read from the broker with a plain client. */
    private List<RelayOutput.Published> published() {
        if (broker.equals("nats")) {
            return RelayOutput.nats(natsSettings());
        }
        KafkaSettings kafka = KafkaSettings.local(brokerAddress);
        return RelayOutput.kafka(brokerAddress, Stream.of("patient", "practitioner")
            .map(kafka.topicNaming()::topicFor).toList(), Duration.ofSeconds(60));
    }

    /**
     * Past the acknowledged positions ({@code what}: committed offsets, ack floors) at the kill: {@code pending}
     * records, {@code appliedUnacknowledged} already applied; {@code republished}: copies there of events first
     * published before them, not counted (Kafka).
     */
    private record MidBatch(String what, Map<String, Long> acknowledged, long pending, long appliedUnacknowledged,
                            boolean unmoved, long republished) {
        MidBatch(String what, Map<String, Long> acknowledged, long pending, long appliedUnacknowledged,
                 boolean unmoved) {
            this(what, acknowledged, pending, appliedUnacknowledged, unmoved, 0);
        }

        MidBatch withRepublished(long copies) {
            return new MidBatch(what, acknowledged, pending, appliedUnacknowledged, unmoved, copies);
        }

        boolean landed() {
            return unmoved && appliedUnacknowledged > 0;
        }

        @Override
        public String toString() {
            return "killed with " + appliedUnacknowledged + " of " + pending + " records past the " + what + " "
                + acknowledged + " already applied"
                + (republished > 0 ? " (" + republished + " re-published copies of earlier events not counted)" : "")
                + (unmoved ? "" : " (partitions moved before the read: not counted)");
        }
    }

    private static Map<TopicPartition, String> owners(Admin admin, String group) throws Exception {
        Map<TopicPartition, String> owners = new HashMap<>();
        for (MemberDescription member : admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
            .get(30, TimeUnit.SECONDS).members()) { // a broker that does not answer in 30 s fails the read
            member.assignment().topicPartitions().forEach(p -> owners.put(p, member.clientId()));
        }
        return owners;
    }

    private static Map<TopicPartition, Long> committed(Admin admin, String group, Set<TopicPartition> partitions)
        throws Exception {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS)
            .forEach((partition, offset) -> { // a broker that does not answer in 30 s fails the read
                if (partitions.contains(partition) && offset != null) {
                    offsets.put(partition, offset.offset());
                }
            });
        return offsets;
    }

    /** The partitions' end offsets now: the offset the next record of each will have. */
    private Map<TopicPartition, Long> endOffsets(Set<TopicPartition> partitions) {
        try (KafkaConsumer<String, String> consumer = plainConsumer()) {
            return new HashMap<>(consumer.endOffsets(partitions, Duration.ofSeconds(30)));
        }
    }

    /** The event's id, the same on every copy of it the relays published. */
    private static String eventId(ConsumerRecord<String, String> record) {
        Header id = record.headers().lastHeader(FerryHeaders.CE_ID);
        if (id == null) {
            throw new IllegalStateException(record.topic() + "-" + record.partition() + "@" + record.offset()
                + " has no " + FerryHeaders.CE_ID);
        }
        return new String(id.value(), StandardCharsets.UTF_8);
    }

    private KafkaConsumer<String, String> plainConsumer() {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokerAddress,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }

    /** Every record of the partitions from the offsets to their ends now; fails naming any it could not read to the end. */
    private List<ConsumerRecord<String, String>> recordsFrom(Map<TopicPartition, Long> from) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = plainConsumer()) {
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
    /** The aggregates whose read-model version is not their last stored one: how many, and the first few. */
    private static String behind(List<Event> stored, Map<String, Long> readModel) {
        Map<String, Long> last = new HashMap<>();
        stored.forEach(e -> last.merge(e.aggregateId(), e.version(), Math::max));
        List<String> behind = last.entrySet().stream().filter(e -> !e.getValue().equals(readModel.get(e.getKey())))
            .map(e -> e.getKey() + " stored " + e.getValue() + ", read model " + readModel.get(e.getKey())).sorted()
            .toList();
        return behind.size() + " aggregates differ " + behind.subList(0, Math.min(10, behind.size()));
    }

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

    /** A projector's /status, for a failure message. */
    private String statusOf(ChildProcess projector) {
        Integer port = adminPorts.get(projector);
        if (port == null) {
            return "(no admin port)";
        }
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/status"))
                .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException | InterruptedException e) {
            return "(unanswered: " + e + ")";
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

    /** @param exactlyOnce Kafka's exactly-once mode for the relays */
    private Path writeConfig(boolean exactlyOnce) throws IOException {
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
            """ + (exactlyOnce ? "  exactlyOnce: true\n" : "");
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
