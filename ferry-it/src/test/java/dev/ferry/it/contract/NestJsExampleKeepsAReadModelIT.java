package dev.ferry.it.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.NewEvent;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.it.support.NodeProject;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.ReadModelHistory;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.publish.NatsPublishers;

/**
 * The NestJS example ({@code examples/nestjs}) keeps its patients' read model from Ferry's Kafka topic, and from its
 * NATS JetStream stream (two tests, one body): Ferry's Java store appends patients' histories (registered, updated, discharged, registered again), Ferry's relay publishes them to
 * the embedded Kafka broker or a real {@code nats-server}, and the example, run as a node process as built by its npm scripts, ends with a read model equal
 * to the fold of the store — every patient's state and version, nothing applied twice or out of order (counted by a
 * change stream on the read model, independent of the example). Its HTTP endpoint appends through the client's
 * {@code EventStore} too (a conflict answered 409), and that event comes back through the relay into the read model.
 * A SIGTERM stops it cleanly: the NestJS shutdown hooks stop the consumer, which commits every offset it wrote (on
 * NATS: acknowledges every partition to its last message and releases its leases), and the process ends by its signal.
 * <p>
 * Needs Node.js and {@code npm ci && npm run build} in {@code examples/nestjs} (.ci/run does them), and for the NATS
 * test {@code nats-server} (.ci/run installs it); without them this test fails naming the step.
 */
@Timeout(120)
class NestJsExampleKeepsAReadModelIT extends PipelineFixture {

    private static final NodeProject EXAMPLE = NodeProject.NESTJS_EXAMPLE;
    private static final String TYPE = "patient";
    private static final String READ_MODEL = "nestjs_patients";
    private static final int PATIENTS = 40;
    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    private static NatsServerProcess nats;
    private final HttpClient http = HttpClient.newHttpClient();
    private Process app;

    @BeforeAll
    static void startNats() {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        nats.close();
    }

    /**
     * What differs between the transports: the relay's publishers, the example's environment, how many records the
     * transport holds, the example's last line and how the test sees that everything written was acknowledged.
     */
    private record Transport(String name, Map<String, String> environment, LongSupplier records, String stoppedLine,
                             Callable<Boolean> everythingAcknowledged) {
    }

    @AfterEach
    void stopApp() throws InterruptedException {
        if (app != null && app.isAlive()) { // before the pipeline closes (a subclass's @AfterEach runs first)
            app.destroyForcibly();
            app.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theNestJsExampleBuildsTheFoldOfTheStoreAndStopsCleanlyOnSigterm() throws Exception {
        pipeline.startRelay("r1");
        String group = "nestjs-example-" + pipeline.topicPrefix();
        String topic = pipeline.topicPrefix() + TYPE;
        keepsTheFoldAndStopsCleanly(new Transport("Kafka", Map.of("FERRY_KAFKA_BOOTSTRAP_SERVERS",
            kafka.bootstrapServers(), "FERRY_TOPIC_PREFIX", pipeline.topicPrefix(), "GROUP_ID", group),
            pipeline::recordCount, "stopped consuming; offsets committed",
            () -> GroupOffsets.committed(kafka.bootstrapServers(), group)
                .equals(GroupOffsets.ends(kafka.bootstrapServers(), topic))));
    }

    @Test
    void onNatsTheNestJsExampleBuildsTheFoldOfTheStoreAndStopsCleanlyOnSigterm() throws Exception {
        NatsSettings settings = NatsSettings.local(nats.url(), "it" + System.nanoTime());
        pipeline.startRelayOn("r1", new NatsPublishers(settings));
        String group = "nestjs-example";
        try (Connection connection = NatsConnections.open(settings, "check")) {
            JetStreamManagement management = connection.jetStreamManagement();
            keepsTheFoldAndStopsCleanly(new Transport("NATS", Map.of("FERRY_TRANSPORT", "nats",
                "FERRY_NATS_SERVERS", nats.url(), "FERRY_NATS_STREAM", settings.stream(), "GROUP_ID", group,
                "INSTANCE_ID", "nestjs-1"),
                () -> stored(management, settings), "stopped consuming; every record written acknowledged",
                () -> PartitionFloors.done(management, settings, group, TYPE)
                    .equals(PartitionFloors.ends(management, settings, TYPE))));
        }
    }

    private static long stored(JetStreamManagement management, NatsSettings settings) {
        try {
            return management.getStreamInfo(settings.stream()).getStreamState().getMsgCount();
        } catch (JetStreamApiException | IOException notYet) {
            return 0; // the relay creates the stream with its first publish
        }
    }

    private void keepsTheFoldAndStopsCleanly(Transport transport) throws Exception {
        String node = EXAMPLE.node("@nestjs/core", "@ferry/client", "kafkajs", "@nats-io/transport-node", "mongodb");
        Path main = EXAMPLE.directory().resolve(Path.of("dist", "main.js"));
        if (!Files.isRegularFile(main)) {
            fail("examples/nestjs is not built (dist/main.js is missing): run `npm ci && npm run build` in "
                + "examples/nestjs (.ci/run does)");
        }
        MongoCollection<Document> readModel = pipeline.database().getCollection(READ_MODEL);
        Histories histories = new Histories(new Random(34));
        try (ReadModelHistory history = ReadModelHistory.watch(readModel)) {
            // The relay creates the topic or the stream (with its partitions) when it publishes the first event
            int backlog = histories.append(PATIENTS * 4);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> transport.records().getAsLong() >= backlog);

            long started = System.nanoTime();
            Path stdout = Files.createTempFile("nestjs-example", ".out");
            Path stderr = Files.createTempFile("nestjs-example", ".err");
            stdout.toFile().deleteOnExit();
            stderr.toFile().deleteOnExit();
            ProcessBuilder builder = new ProcessBuilder(node, "dist/main.js").directory(EXAMPLE.directory().toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
            builder.environment().putAll(Map.of("FERRY_MONGODB_URI", mongo.connectionString(),
                "FERRY_DATABASE", pipeline.database().getName(), "READ_MODEL_COLLECTION", READ_MODEL, "PORT", "0",
                "NO_COLOR", "1"));
            builder.environment().putAll(transport.environment());
            app = builder.start();
            String url = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> listeningUrl(stdout, stderr), value -> value != null);

            HttpResponse<String> appended = post(url + "/patients/p-http/events", """
                {"expectedVersion": 0, "events": [{"eventType": "PatientRegistered",
                 "payload": {"name": "Registered over HTTP", "ward": 7}}]}""");
            HttpResponse<String> conflict = post(url + "/patients/p-http/events", """
                {"expectedVersion": 0, "events": [{"eventType": "PatientRegistered", "payload": {"name": "Late"}}]}""");
            int live = histories.append(PATIENTS * 4);

            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> running(stderr) && mismatchesWithTheFold(pipeline.storedEvents(), readModel).isEmpty());
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            HttpResponse<String> read = http.send(HttpRequest.newBuilder(URI.create(url + "/patients/p-http")).build(),
                HttpResponse.BodyHandlers.ofString());

            app.destroy(); // SIGTERM
            boolean exited = app.waitFor(20, TimeUnit.SECONDS);
            List<Event> events = pipeline.storedEvents();
            Map<String, Long> versions = new HashMap<>();
            readModel.find().forEach(d -> versions.put(d.getString("_id"), ((Number) d.get("_version")).longValue()));
            ReadModelHistory.Verdict verdict = history.verdictCovering(versions, Duration.ofSeconds(30));
            System.out.printf("NestJsExampleKeepsAReadModelIT on %s: %d events (%d + %d appended by Java, 1 over HTTP) of %d "
                    + "patients; read model equal to the fold %d ms after the app started; %d writes, %d duplicates "
                    + "applied, %d order violations%n", transport.name(), events.size(), backlog, live, versions.size(), tookMillis,
                verdict.writes(), verdict.duplicates(), verdict.orderViolations());

            assertThat(appended.statusCode()).as(appended.body()).isEqualTo(201);
            assertThat(conflict.statusCode()).as("the second registration at version 0 conflicts: " + conflict.body())
                .isEqualTo(409);
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(Document.parse(read.body()).get("state", Document.class).getString("name"))
                .isEqualTo("Registered over HTTP");
            assertThat(events).hasSize(backlog + live + 1);
            assertThat(verdict.unreadable()).isZero();
            assertThat(verdict.duplicates()).as(verdict.examples().toString()).isZero();
            assertThat(verdict.orderViolations()).as(verdict.examples().toString()).isZero();
            assertThat(verdict.versionsCovered()).as("every event applied once").isEqualTo(events.size());
            assertThat(exited).as("stopped within 20 s of a SIGTERM: " + read(stdout) + read(stderr)).isTrue();
            assertThat(app.exitValue()).as("ended by its SIGTERM after a clean stop: " + read(stdout) + read(stderr))
                .isEqualTo(128 + 15);
            assertThat(read(stdout)).contains(transport.stoppedLine());
            assertThat(transport.everythingAcknowledged().call()).as("the stop acknowledged everything it wrote")
                .isTrue();
        }
    }

    /**
     * Patients' histories appended through Ferry's Java store, one or two events per commit: registered, updated, now
     * and then discharged and registered again — the healthcare fold of {@code ferry demo}.
     */
    private final class Histories {
        private final Random random;
        private final Map<String, Long> versions = new HashMap<>();
        private final Map<String, Boolean> registered = new HashMap<>();

        Histories(Random random) {
            this.random = random;
        }

        /** Appends about {@code events} events; returns how many it appended. */
        int append(int events) {
            int appended = 0;
            while (appended < events) {
                String id = "p-" + random.nextInt(PATIENTS);
                List<NewEvent> commit = new ArrayList<>();
                boolean isRegistered = registered.getOrDefault(id, false);
                if (!isRegistered) {
                    commit.add(new NewEvent("PatientRegistered", "{\"name\": \"Patient " + id + "\", \"ward\": "
                        + random.nextInt(1, 20) + "}"));
                    isRegistered = true;
                } else if (random.nextInt(10) == 0) {
                    commit.add(new NewEvent("PatientDischarged", "{}"));
                    isRegistered = false;
                }
                if (isRegistered) {
                    int updates = random.nextInt(1, 3);
                    for (int i = 0; i < updates; i++) {
                        commit.add(random.nextBoolean()
                            ? new NewEvent("PatientUpdated", "{\"ward\": " + random.nextInt(1, 20) + "}")
                            : new NewEvent("PatientUpdated", "{\"pulse\": " + random.nextInt(50, 120) + ", \"note\": \""
                                + Long.toHexString(random.nextLong()) + "\"}"));
                    }
                }
                long expected = versions.getOrDefault(id, 0L);
                pipeline.store().append(TYPE, id, expected, commit);
                versions.put(id, expected + commit.size());
                registered.put(id, isRegistered);
                appended += commit.size();
            }
            return appended;
        }
    }

    /**
     * Every patient's document against the fold of its stored events, written here independently of the example: a
     * registration sets the state, an update merges its fields, a discharge removes it; the version is the last event's.
     */
    private static List<String> mismatchesWithTheFold(List<Event> events, MongoCollection<Document> readModel) {
        Map<String, List<Event>> byPatient = events.stream().collect(Collectors.groupingBy(Event::aggregateId));
        Map<String, Document> documents = new HashMap<>();
        readModel.find().forEach(d -> documents.put(d.getString("_id"), d));
        List<String> mismatches = new ArrayList<>();
        byPatient.forEach((id, history) -> {
            List<Event> ordered = history.stream().sorted((x, y) -> Long.compare(x.version(), y.version())).toList();
            Map<String, Object> state = null;
            for (Event event : ordered) {
                Document payload = Document.parse(event.payloadJson());
                switch (event.eventType()) {
                    case "PatientRegistered" -> state = new LinkedHashMap<>(payload);
                    case "PatientUpdated" -> {
                        state = state == null ? new LinkedHashMap<>() : state;
                        state.putAll(payload);
                    }
                    case "PatientDischarged" -> state = null;
                    default -> { }
                }
            }
            long version = ordered.get(ordered.size() - 1).version();
            Document document = documents.get(id);
            Long builtVersion = document == null ? null : ((Number) document.get("_version")).longValue();
            Map<String, Object> built = document == null ? null : document.get("state", Document.class);
            if (builtVersion == null || builtVersion != version || !Objects.equals(normalized(state), normalized(built))) {
                mismatches.add(id + ": the fold is v" + version + " " + state + ", the read model "
                    + (document == null ? "missing" : document.toJson()));
            }
        });
        return mismatches;
    }

    /** Numbers as longs: the fold parses JSON, the read model holds what the driver stored. */
    private static Map<String, Object> normalized(Map<String, Object> state) {
        if (state == null) {
            return null;
        }
        Map<String, Object> normalized = new HashMap<>();
        state.forEach((field, value) -> normalized.put(field, value instanceof Number n ? (Object) n.longValue() : value));
        return normalized;
    }

    /** The URL the example printed once listening, or null; fails with what it wrote if it died. */
    private String listeningUrl(Path stdout, Path stderr) {
        running(stderr);
        Matcher matcher = LISTENING.matcher(read(stdout));
        return matcher.find() ? matcher.group(1) : null;
    }

    private boolean running(Path stderr) {
        if (!app.isAlive()) {
            fail("the NestJS example exited (" + app.exitValue() + "): " + read(stderr));
        }
        return true;
    }

    private HttpResponse<String> post(String url, String json) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
