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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.app.admin.AdminServer;
import dev.ferry.app.admin.Reachability;
import dev.ferry.app.wiring.Components;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * The headroom gauges of a relay wired from its configuration ({@code relay.start: earliest}: the stored commits are
 * copied, then streamed): milliseconds behind the source and the oplog headroom are numbers in {@code /metrics} while
 * it leads, NaN on a standby; {@code ferry status} shows both from the checkpoint.
 */
@Timeout(180)
class HeadroomGaugesIT {

    private static final Pattern GAUGE = Pattern.compile("(?m)^(ferry_relay_\\w+_ms) (\\S+)$");

    @TempDir
    Path dir;

    @Test
    void behindSourceAndOplogHeadroomAreInMetricsAndStatus() throws Exception {
        try (MongoUnderTest mongo = MongoUnderTest.start("ferry_headroom"); EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Path file = dir.resolve("ferry.yml");
            Files.writeString(file, "mongodb:\n  uri: " + mongo.connectionString() + "\n  database: "
                + mongo.databaseName() + "\nkafka:\n  bootstrapServers: " + kafka.bootstrapServers()
                + "\n  partitions: 3\n  replicationFactor: 1\nrelay:\n  start: earliest\n"
                + "projector:\n  aggregateTypes: [patient]\nadmin:\n  bind: 127.0.0.1\n  port: 0\n");
            FerryConfig config = new ConfigLoader(Map.of()).load(file);
            try (Components components = ServiceLifecycle.components(config);
                 Transport.Publishers publishers = components.relayPublishers()) {
                MongoEventStore store = components.eventStore();
                for (int i = 0; i < 20; i++) {
                    store.append("patient", "p-" + i, 0, List.of(new NewEvent("PatientRegistered", "{}")));
                }
                ChangeStreamRelay leader = components.relay(RelayCommand.relaySettings(config), "r1",
                    publishers, config.sources());
                ChangeStreamRelay standby = components.relay(RelayCommand.relaySettings(config), "r2",
                    publishers, config.sources());
                leader.start();
                await().atMost(Duration.ofSeconds(30)).until(() -> leader.status().role() == RelayStatus.Role.LEADER);
                standby.start();
                try (AdminServer admin = new AdminServer("127.0.0.1", 0, "", new Reachability(config)::ready,
                    () -> RelayCommand.statusJson(leader, components, config), RelayCommand.metrics(leader, config.admin().stallTimeoutDuration()),
                    components.parkedEvents())) {
                    await().atMost(Duration.ofSeconds(60)).until(() -> leader.status().published() == 20);
                    store.append("patient", "streamed", 0, List.of(new NewEvent("PatientRegistered", "{}")));
                    await().atMost(Duration.ofSeconds(30)).until(() -> leader.status().published() == 21);

                    await().atMost(Duration.ofSeconds(30)).until(() -> {
                        Map<String, Double> gauges = gauges(admin);
                        return Double.isFinite(gauges.getOrDefault("ferry_relay_behind_source_ms", Double.NaN))
                            && Double.isFinite(gauges.getOrDefault("ferry_relay_oplog_headroom_ms", Double.NaN));
                    });
                    Map<String, Double> gauges = gauges(admin);
                    System.out.println("HeadroomGaugesIT: " + gauges);
                    // Cluster time has whole seconds; the server's clock is this host's or close to it.
                    assertThat(gauges.get("ferry_relay_behind_source_ms")).isBetween(-5_000.0, 60_000.0);
                    assertThat(gauges.get("ferry_relay_oplog_headroom_ms")).isGreaterThanOrEqualTo(0.0);
                    assertThat(standby.status().role()).isEqualTo(RelayStatus.Role.STANDBY);
                    assertThat(standby.millisBehindSource()).isNaN();
                    assertThat(standby.oplogHeadroomMillis()).isNaN();

                    Document checkpoint = components.database().getCollection(Components.LEASES)
                        .find(new Document("_id", config.relay().name())).first().get("checkpoint", Document.class);
                    String status = StatusCommand.headroom(new ResumeToken(checkpoint.getString("token")),
                        components.oplogWindow().read());
                    System.out.println("HeadroomGaugesIT status: " + status);
                    assertThat(status).matches("checkpoint -?\\d+\\.\\d s behind the source; oplog headroom \\d+\\.\\d s "
                        + "\\(oplog 20\\S+ \\.\\. 20\\S+ \\(\\d+\\.\\d+ s\\)\\)");
                } finally {
                    standby.kill();
                    leader.kill();
                }
            }
        }
    }

    private static Map<String, Double> gauges(AdminServer admin) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + admin.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        Map<String, Double> gauges = new java.util.HashMap<>();
        Matcher matcher = GAUGE.matcher(body);
        while (matcher.find()) {
            gauges.put(matcher.group(1), Double.parseDouble(matcher.group(2)));
        }
        return gauges;
    }
}
