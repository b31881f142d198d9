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
import java.time.Instant;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.app.admin.AdminServer;
import dev.ferry.app.admin.Reachability;
import dev.ferry.app.wiring.Components;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.EmbeddedMongo;

/**
 * The admin endpoints over real HTTP: health, readiness that follows the backends, metrics, status, parked ops (a
 * request naming a projection or aggregate with nothing parked is refused with 404 and the reason).
 */
@Timeout(180)
class AdminHttpIT {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void healthMetricsStatusAndProtectedParkedOperations() throws Exception {
        try (EmbeddedMongo mongo = EmbeddedMongo.start(); EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Path file = dir.resolve("ferry.yml");
            Files.writeString(file, "mongodb:\n  uri: " + mongo.connectionString() + "\nkafka:\n  bootstrapServers: "
                + kafka.bootstrapServers() + "\n  partitions: 3\n  replicationFactor: 1\nprojector:\n  aggregateTypes: [patient]\n"
                + "admin:\n  bind: 127.0.0.1\n  port: 0\n  token: s3cr3t\n");
            FerryConfig config = new ConfigLoader(Map.of()).load(file);
            try (Components components = ServiceLifecycle.components(config);
                 Transport.Publishers publishers = components.relayPublishers()) {
                ChangeStreamRelay relay = components.relay(RelayCommand.relaySettings(config), "r1", publishers);
                relay.start();
                try (AdminServer admin = new AdminServer("127.0.0.1", 0, "s3cr3t", new Reachability(config)::ready,
                    () -> RelayCommand.statusJson(relay, components, config), RelayCommand.metrics(relay, config.admin().stallTimeoutDuration()),
                    components.parkedEvents())) {
                    String base = "http://127.0.0.1:" + admin.port();

                    assertThat(get(base + "/health/live").statusCode()).isEqualTo(200);
                    assertThat(get(base + "/health/ready").statusCode()).isEqualTo(200);
                    await().atMost(Duration.ofSeconds(30)).until(() -> get(base + "/status").body().contains("\"role\":\"LEADER\""));
                    HttpResponse<String> metrics = get(base + "/metrics");
                    assertThat(metrics.body()).contains("ferry_relay_events_published_total").contains("ferry_relay_leader 1.0")
                        .contains("ferry_relay_failovers_total 1.0");

                    // A retry or skip is accepted only for something parked: park one event of patient/p-1.
                    components.parkedEvents().park("latest_state", new ParkedEvents.ParkedEvent("patient/p-1", null,
                        "not a Ferry event: value is not a JSON object", "", 0, "ferry.patient", 0, 7, "x", Instant.now()));
                    String retry = base + "/parked/retry?projection=latest_state&aggregate=patient/p-1";
                    assertThat(post(retry, null).statusCode()).isEqualTo(401);
                    assertThat(post(retry, "Bearer wrong").statusCode()).isEqualTo(401);
                    assertThat(post(retry, "Bearer s3cr3t").statusCode()).isEqualTo(202);
                    assertThat(components.parkedEvents().pendingRequests("latest_state")).singleElement()
                        .extracting(ParkedEvents.PendingRequest::aggregateKey).isEqualTo("patient/p-1");
                    assertThat(get(base + "/parked?projection=latest_state").statusCode()).isEqualTo(200);

                    HttpResponse<String> noSuchAggregate = post(base + "/parked/skip?projection=latest_state&aggregate=patient/p-2",
                        "Bearer s3cr3t");
                    assertThat(noSuchAggregate.statusCode()).isEqualTo(404);
                    assertThat(noSuchAggregate.body()).contains("aggregate 'patient/p-2' has no parked events");
                    HttpResponse<String> noSuchProjection = post(base + "/parked/retry?projection=lastest_state&aggregate=patient/p-1",
                        "Bearer s3cr3t");
                    assertThat(noSuchProjection.statusCode()).isEqualTo(404);
                    assertThat(noSuchProjection.body()).contains("projection 'lastest_state' has no parked events")
                        .contains("[latest_state]");
                    assertThat(components.parkedEvents().pendingRequests("latest_state")).hasSize(1);
                    assertThat(components.parkedEvents().pendingRequests("lastest_state")).isEmpty();

                    kafka.stop();
                    await().atMost(Duration.ofSeconds(60)).until(() -> get(base + "/health/ready").statusCode() == 503);
                    assertThat(get(base + "/health/live").statusCode()).isEqualTo(200);
                } finally {
                    relay.kill();
                }
            }
        }
    }

    private HttpResponse<String> get(String uri) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(uri)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String uri, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(uri)).POST(HttpRequest.BodyPublishers.noBody());
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
