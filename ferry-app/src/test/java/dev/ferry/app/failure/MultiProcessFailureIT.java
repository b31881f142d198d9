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
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

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
 * Killed processes are replaced, as Kubernetes would. Then the event store, the topics, the apply log and the read
 * model are checked against each other. {@code -Dferry.failure.seed=N} replays a schedule.
 */
@Timeout(600)
class MultiProcessFailureIT {

    private static final Path JAR = Path.of("target", "ferry.jar");
    /** Events of the load; raise it (-Dferry.failure.events=100000) for a soak. */
    private static final long EVENTS = Long.getLong("ferry.failure.events", 6_000L);

    @TempDir
    Path dir;

    private final List<ChildProcess> processes = Collections.synchronizedList(new ArrayList<>());
    private final Map<String, ChildProcess> relaysByInstance = new HashMap<>();
    private final Map<ChildProcess, Integer> adminPorts = new HashMap<>();
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
        String brokerAddress = embedded.awaitLine(brokerVariable + "=(\\S+)", Duration.ofSeconds(60));
        embedded.awaitLine("(embedded stack running)", Duration.ofSeconds(60));
        env = Map.of("FERRY_MONGODB_URI", mongoUri, brokerVariable, brokerAddress);
        startNotifyEndpoint();
        config = writeConfig();

        startRelay("relay-a");
        startRelay("relay-b");
        List<ChildProcess> projectors = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            projectors.add(startProjector("projector-" + i));
        }

        try (MongoClient client = MongoClients.create(mongoUri)) {
            MongoDatabase database = client.getDatabase("ferry");
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
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                PipelineVerifier.ReadModelVerdict verdict = verifier.readModel("latest_state", stored);
                return verdict.exact() && verdict.applies() >= stored.size();
            });
            PipelineVerifier.ReadModelVerdict readModel = verifier.readModel("latest_state", stored);
            PipelineVerifier.TopicVerdict topics = PipelineVerifier.transported(transport.equals("nats")
                    ? new NatsTransport(NatsSettings.local(brokerAddress, "ferry").withPartitions(6))
                    : new KafkaTransport(KafkaSettings.local(brokerAddress)), Set.of("patient", "practitioner"));

            System.out.printf("MultiProcessFailureIT on %s (seed %d): %s%n  stored %d, records in the %s %d (%d stored "
                    + "more than once), lost %d, order violations there %d; applied %d, duplicates applied %d, apply "
                    + "order violations %d, read model exact %s; %d conflicting appends%n", transport, seed, log,
                stored.size(), transport.equals("nats") ? "stream" : "topics",
                topics.records(), topics.records() - topics.distinctEvents(), stored.size() - topics.distinctEvents(),
                topics.orderViolations(), readModel.applies(), readModel.duplicates(), readModel.orderViolations(),
                readModel.exact(), load.conflicts());
            assertThat(stored).hasSize((int) EVENTS);
            assertThat(topics.distinctEvents()).as("lost events").isEqualTo(stored.size());
            assertThat(topics.orderViolations()).isZero();
            assertThat(readModel.duplicates()).isZero();
            assertThat(readModel.orderViolations()).isZero();
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
                ChildProcess victim = projectors.remove(random.nextInt(projectors.size()));
                victim.kill();
                projectors.add(startProjector("projector-" + Long.toHexString(random.nextLong() & 0xffff)));
                return fault + ": " + victim.name() + " killed -9 and replaced";
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
        return projector;
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
              applyLog: true
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
