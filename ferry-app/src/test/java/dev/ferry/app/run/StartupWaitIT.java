package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.app.failure.ChildProcess;
import dev.ferry.app.wiring.Components;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.event.NewEvent;
import dev.ferry.embedded.LocalServerFiles;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.MongoUnderTest;

/**
 * {@code ferry relay} started from the jar before its Kafka broker is up: it waits, live and not ready, its
 * {@code /status} saying it is starting; once the broker comes up it leads and publishes. (A broker that never comes
 * up: {@link CommandLineErrorsIT}.)
 */
@Timeout(180)
class StartupWaitIT {

    private static final Path JAR = Path.of("target", "ferry.jar");

    @TempDir
    Path dir;

    private ChildProcess relay;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stopRelay() {
        if (relay != null) {
            relay.destroy();
        }
    }

    @Test
    void aRelayStartedBeforeKafkaWaitsNotReadyThenLeadsAndPublishes() throws Exception {
        assertThat(JAR).as("the jar built by mvn package").exists();
        try (MongoUnderTest mongo = MongoUnderTest.start("ferry_startup_wait");
             EmbeddedKafka kafka = EmbeddedKafka.notStarted()) {
            int adminPort = LocalServerFiles.freeLoopbackPort();
            Path file = dir.resolve("ferry.yml");
            Files.writeString(file, """
                mongodb: {uri: '%s', database: %s}
                kafka: {bootstrapServers: '%s', partitions: 1, replicationFactor: 1}
                admin: {bind: 127.0.0.1, port: %d}
                relay: {start: earliest}
                startupTimeout: 60s
                """.formatted(mongo.connectionString(), mongo.databaseName(), kafka.bootstrapServers(), adminPort));
            // start: earliest (copy, then stream from where the copy began): the event appended below is relayed
            // however soon after the relay leads, where 'now' could open its stream after the append.
            relay = ChildProcess.start("relay", JAR, dir, Map.of(), "relay", "--config", file.toString());

            // The admin server answers before the backends do (connections are refused until the JVM is up).
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> status(adminPort, "/health/live") == 200);
            assertThat(status(adminPort, "/health/ready")).isEqualTo(503);
            assertThat(body(adminPort, "/status")).contains("\"starting\":true");
            assertThat(relay.isAlive()).isTrue();

            kafka.restart();
            relay.awaitLine("instance \\S+ started", Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(30)).until(() -> body(adminPort, "/status").contains("\"role\":\"LEADER\""));
            FerryConfig config = new ConfigLoader(Map.of()).load(file);
            try (Components components = ServiceLifecycle.components(config)) {
                components.eventStore().append("patient", "p-1", 0, List.of(new NewEvent("PatientRegistered", "{}")));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> body(adminPort, "/status").contains("\"published\":1"));
            assertThat(status(adminPort, "/health/ready")).isEqualTo(200);
            System.out.println("StartupWaitIT: the relay's log:\n" + relay.tail());
        }
    }

    private int status(int port, String path) throws Exception {
        return get(port, path).statusCode();
    }

    private String body(int port, String path) throws Exception {
        return get(port, path).body();
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
