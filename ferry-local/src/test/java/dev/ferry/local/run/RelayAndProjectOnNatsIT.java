package dev.ferry.local.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.app.failure.ChildProcess;
import dev.ferry.core.event.Event;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.local.BuiltJars;
import dev.ferry.local.demo.HealthcareLoad;
import dev.ferry.local.demo.PipelineVerifier;
import dev.ferry.mongodb.store.MongoEventStore;
import dev.ferry.nats.NatsSettings;

/**
 * {@code ferry relay} and {@code ferry project} with {@code transport: nats}, as processes started from the service jar:
 * events appended to the event store reach JetStream (each once, in order per aggregate) and the read model (exact,
 * each applied once), and the admin endpoints report the NATS partitions and the same metrics as on Kafka.
 */
@Timeout(300)
class RelayAndProjectOnNatsIT {

    private static final long EVENTS = 2_000;

    @TempDir
    Path dir;

    private final List<ChildProcess> processes = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopProcesses() {
        processes.forEach(ChildProcess::destroy);
    }

    @Test
    void relayAndProjectorsCarryEveryEventOnceAndInOrderOverNats() throws Exception {
        assertThat(BuiltJars.SERVICE).as("the service jar built by mvn package").exists();
        try (MongoUnderTest mongo = MongoUnderTest.start("ferry_nats_cli");
             NatsServerProcess nats = NatsServerProcess.start();
             MongoClient client = MongoClients.create(mongo.connectionString())) {
            String stream = "cli" + System.nanoTime();
            Path config = dir.resolve("ferry.yml");
            Files.writeString(config, """
                mongodb:
                  uri: %s
                  database: %s
                transport: nats
                nats:
                  servers: %s
                  stream: %s
                  partitions: 6
                relay:
                  start: %s
                projector:
                  aggregateTypes: [patient, practitioner]
                  applyLog: true
                admin:
                  bind: 127.0.0.1
                  port: 0
                """.formatted(mongo.connectionString(), mongo.databaseName(), nats.url(), stream,
                Instant.now().minusSeconds(5)));
            ChildProcess relay = start("relay", "relay", "--config", config.toString());
            int relayAdmin = Integer.parseInt(relay.awaitLine("admin on port (\\d+)", Duration.ofSeconds(90)));
            List<Integer> projectorAdmins = new ArrayList<>();
            for (int i = 1; i <= 2; i++) {
                ChildProcess projector = start("projector-" + i, "project", "--config", config.toString());
                projectorAdmins.add(Integer.parseInt(projector.awaitLine("admin on port (\\d+)", Duration.ofSeconds(90))));
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> get(relayAdmin, "/status").contains("\"role\":\"LEADER\""));

            MongoDatabase database = client.getDatabase(mongo.databaseName());
            MongoEventStore store = new MongoEventStore(database, "events", new TopicNaming(""),
                MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes();
            HealthcareLoad load = new HealthcareLoad(store, 200, EVENTS, 500, 100);
            load.start();
            assertThat(load.awaitDone(2, TimeUnit.MINUTES)).isTrue();

            PipelineVerifier verifier = new PipelineVerifier(database, "events");
            List<Event> stored = verifier.storedEvents();
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> {
                PipelineVerifier.ReadModelVerdict verdict = verifier.readModel("latest_state", stored);
                return verdict.exact() && verdict.applies() >= stored.size();
            });
            PipelineVerifier.ReadModelVerdict readModel = verifier.readModel("latest_state", stored);
            PipelineVerifier.TopicVerdict inStream = PipelineVerifier.stream(
                NatsSettings.local(nats.url(), stream).withPartitions(6));
            System.out.printf("RelayAndProjectOnNatsIT: stored %d, stream messages %d (%d distinct, %d order "
                    + "violations), applied %d (%d duplicates, %d order violations)%n", stored.size(), inStream.records(),
                inStream.distinctEvents(), inStream.orderViolations(), readModel.applies(), readModel.duplicates(),
                readModel.orderViolations());

            assertThat(stored).hasSize((int) EVENTS);
            assertThat(inStream.distinctEvents()).as("events in the stream").isEqualTo(EVENTS);
            assertThat(inStream.orderViolations()).isZero();
            assertThat(readModel.applies()).isEqualTo(EVENTS);
            assertThat(readModel.duplicates()).isZero();
            assertThat(readModel.orderViolations()).isZero();
            assertThat(readModel.exact()).isTrue();
            assertThat(get(relayAdmin, "/metrics")).contains("ferry_relay_events_published_total " + EVENTS + ".0");
            String owned = projectorAdmins.stream().map(port -> get(port, "/status")).reduce("", String::concat);
            for (int partition = 0; partition < 6; partition++) {
                assertThat(owned).contains("\"patient-" + partition + "\"", "\"practitioner-" + partition + "\"");
            }
            assertThat(get(projectorAdmins.get(0), "/metrics")).contains("ferry_projector_events_applied_total")
                .contains("ferry_projector_partitions_assigned");
        }
    }

    private ChildProcess start(String name, String... args) throws java.io.IOException {
        ChildProcess process = ChildProcess.start(name, BuiltJars.running(args[0]), dir, Map.of(), args);
        processes.add(process);
        return process;
    }

    private String get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            return "";
        }
    }
}
