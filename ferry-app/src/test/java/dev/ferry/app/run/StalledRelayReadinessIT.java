package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.app.admin.AdminServer;
import dev.ferry.app.admin.Readiness;
import dev.ferry.app.admin.Reachability;
import dev.ferry.app.wiring.Components;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.MongoUnderTest;

/**
 * A relay that cannot get its changes acknowledged while the broker answers — an ACL denies it writing to the topic —
 * restarts its pipeline, counted as the broker's fault, and is not ready once {@code admin.stallTimeout} passes
 * ({@code /health/ready} 503, {@code ferry_relay_stalled} 1, {@code noProgressSince} and {@code lastFailure} in
 * {@code /status}); once the ACL is gone it publishes and is ready again. (A topic needing more in-sync replicas than
 * the one broker has does not stall: Kafka 4 caps min.insync.replicas at the replication factor.)
 */
@Timeout(120)
class StalledRelayReadinessIT {

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void aRelayWhoseChangesWaitUnacknowledgedPastTheStallTimeoutIsNotReadyUntilItMovesAgain() throws Exception {
        try (MongoUnderTest mongo = MongoUnderTest.start("ferry_stall");
             EmbeddedKafka kafka = EmbeddedKafka.start(Map.of("authorizer.class.name",
                 "org.apache.kafka.metadata.authorizer.StandardAuthorizer", "allow.everyone.if.no.acl.found", "true"));
             Admin kafkaAdmin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            Path file = dir.resolve("ferry.yml");
            Files.writeString(file, """
                mongodb: {uri: '%s', database: %s}
                kafka: {bootstrapServers: '%s', partitions: 1, replicationFactor: 1}
                admin: {bind: 127.0.0.1, port: 0, stallTimeout: 2s}
                relay: {start: earliest}
                """.formatted(mongo.connectionString(), mongo.databaseName(), kafka.bootstrapServers()));
            // start: earliest (copy, then stream from where the copy began): the event appended below is relayed
            // however soon after the relay leads, where 'now' could open its stream after the append.
            FerryConfig config = new ConfigLoader(Map.of()).load(file);
            Duration stallTimeout = config.admin().stallTimeoutDuration();
            // Everything on the topic allowed, but writing: the relay can create and describe it, never publish.
            ResourcePattern topic = new ResourcePattern(ResourceType.TOPIC, config.kafka().topicPrefix() + "patient",
                PatternType.LITERAL);
            AclBinding denyWrite = new AclBinding(topic, new AccessControlEntry("User:ANONYMOUS", "*", AclOperation.WRITE,
                AclPermissionType.DENY));
            kafkaAdmin.createAcls(List.of(new AclBinding(topic, new AccessControlEntry("User:*", "*", AclOperation.ALL,
                AclPermissionType.ALLOW)), denyWrite)).all().get(30, TimeUnit.SECONDS);
            try (Components components = ServiceLifecycle.components(config);
                 Transport.Publishers publishers = components.relayPublishers()) {
                ChangeStreamRelay relay = components.relay(RelayCommand.relaySettings(config), "r1", publishers,
                    config.sources());
                relay.start();
                Readiness readiness = new Readiness(new Reachability(config), Clock.systemUTC());
                readiness.running(RelayCommand.stalledAt(relay, stallTimeout));
                try (AdminServer admin = new AdminServer("127.0.0.1", 0, "", readiness,
                    () -> RelayCommand.statusJson(relay, components, config), RelayCommand.metrics(relay, stallTimeout),
                    components.parkedEvents())) {
                    await().atMost(Duration.ofSeconds(30)).until(() -> relay.status().role() == RelayStatus.Role.LEADER);
                    assertThat(get(admin, "/health/ready").statusCode()).isEqualTo(200);

                    components.eventStore().append("patient", "p-1", 0, List.of(new NewEvent("PatientRegistered", "{}")));

                    await().atMost(Duration.ofSeconds(30)).until(() -> get(admin, "/health/ready").statusCode() == 503);
                    assertThat(get(admin, "/health/live").statusCode()).isEqualTo(200);
                    assertThat(get(admin, "/metrics").body()).contains("ferry_relay_stalled 1.0")
                        .containsPattern("ferry_relay_restarts_total\\{fault=\"broker\"\\} [1-9]");
                    assertThat(get(admin, "/status").body()).containsPattern("\"noProgressSince\":\"20\\S+Z\"")
                        .containsPattern("\"lastFailure\":\\{\"at\":\"20\\S+Z\",\"fault\":\"broker\",\"cause\":\"[^\"]*"
                            + "TopicAuthorizationException")
                        .containsPattern("\"restarts\":\\{\"broker\":[1-9]").contains("\"published\":0");

                    kafkaAdmin.deleteAcls(List.of(denyWrite.toFilter())).all().get(30, TimeUnit.SECONDS);

                    await().atMost(Duration.ofSeconds(60)).until(() -> relay.status().published() == 1);
                    await().atMost(Duration.ofSeconds(10)).until(() -> get(admin, "/health/ready").statusCode() == 200);
                    assertThat(get(admin, "/metrics").body()).contains("ferry_relay_stalled 0.0");
                    assertThat(get(admin, "/status").body()).contains("\"noProgressSince\":null");
                } finally {
                    relay.kill();
                }
            }
        }
    }

    private HttpResponse<String> get(AdminServer admin, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin.port() + path)).build(),
            HttpResponse.BodyHandlers.ofString());
    }
}
