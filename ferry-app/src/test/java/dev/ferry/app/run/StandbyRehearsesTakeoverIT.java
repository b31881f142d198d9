package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.ConfigLoader;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.MongoUnderTest;

/**
 * A standby relay rehearses its takeover: once it has seen another instance lead, it reads the changes after the
 * checkpoint and prepares their records, publishing nothing (the topic holds the leader's records only) and moving
 * no checkpoint; it is not ready while it rehearses, ready after, and its {@code /status} shows what it did.
 */
@Timeout(120)
class StandbyRehearsesTakeoverIT {

    private static final int EVENTS = 20;

    @TempDir
    Path dir;

    @Test
    void aStandbyPreparesWhatFollowsTheCheckpointAndPublishesNothing() throws Exception {
        try (MongoUnderTest mongo = MongoUnderTest.start("ferry_rehearsal");
             EmbeddedKafka kafka = EmbeddedKafka.start();
             Admin kafkaAdmin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            Path file = dir.resolve("ferry.yml");
            Files.writeString(file, """
                mongodb: {uri: '%s', database: %s}
                kafka: {bootstrapServers: '%s', partitions: 1, replicationFactor: 1}
                relay: {start: earliest}
                """.formatted(mongo.connectionString(), mongo.databaseName(), kafka.bootstrapServers()));
            FerryConfig config = new ConfigLoader(Map.of()).load(file);
            RelaySettings defaults = RelayCommand.relaySettings(config);
            // The leader checkpoints its (empty) copy, then not again within the test: what it publishes next is
            // after the checkpoint, where a takeover would start.
            RelaySettings rarelyCheckpointing = new RelaySettings(defaults.name(), defaults.initialPosition(),
                defaults.historyLostPolicy(), defaults.maxInFlight(), Duration.ofHours(1), Duration.ofHours(1),
                defaults.retryBackoff(), defaults.leaseTiming());
            try (Components components = ServiceLifecycle.components(config);
                 Transport.Publishers leaderPublishers = components.relayPublishers();
                 Transport.Publishers standbyPublishers = components.relayPublishers()) {
                ChangeStreamRelay leader = components.relay(rarelyCheckpointing, "r1", leaderPublishers,
                    config.sources());
                ChangeStreamRelay standby = null;
                try {
                    leader.start();
                    await().atMost(Duration.ofSeconds(30)).until(() -> leader.status().role() == RelayStatus.Role.LEADER);
                    await().atMost(Duration.ofSeconds(30)).until(() -> leader.status().checkpointSequence() >= 0);
                    long checkpointed = leader.status().checkpointSequence();
                    for (int i = 1; i <= EVENTS; i++) {
                        components.eventStore().append("patient", "p-" + i, 0,
                            List.of(new NewEvent("PatientRegistered", "{\"n\":" + i + "}")));
                    }
                    await().atMost(Duration.ofSeconds(30)).until(() -> leader.status().published() == EVENTS);
                    assertThat(leader.status().warmUp().state()).as("a first leader has nothing to rehearse")
                        .isEqualTo(RelayStatus.WarmUp.State.NOT_STARTED);

                    ChangeStreamRelay second = components.relay(defaults, "r2", standbyPublishers, config.sources());
                    standby = second;
                    second.start();
                    await().atMost(Duration.ofSeconds(30))
                        .until(() -> second.status().warmUp().state() == RelayStatus.WarmUp.State.DONE);

                    RelayStatus.WarmUp warmUp = second.status().warmUp();
                    assertThat(warmUp.changes()).isEqualTo(EVENTS);
                    assertThat(warmUp.records()).isEqualTo(EVENTS);
                    assertThat(second.status().role()).isEqualTo(RelayStatus.Role.STANDBY);
                    assertThat(second.status().published()).isZero();
                    assertThat(second.warmingUp(Instant.now())).as("ready once rehearsed").isFalse();
                    assertThat(RelayCommand.statusJson(second, components, config))
                        .contains("\"warmUp\":{\"state\":\"DONE\",\"changes\":" + EVENTS + ",\"records\":" + EVENTS + "}");
                    assertThat(leader.status().checkpointSequence()).as("the rehearsal moves no checkpoint")
                        .isEqualTo(checkpointed);
                    TopicPartition partition = new TopicPartition(config.kafka().topicPrefix() + "patient", 0);
                    long end = kafkaAdmin.listOffsets(Map.of(partition, OffsetSpec.latest())).all()
                        .get(30, TimeUnit.SECONDS).get(partition).offset();
                    assertThat(end).as("records on the topic: the leader's only").isEqualTo(EVENTS);
                } finally {
                    if (standby != null) {
                        standby.kill();
                    }
                    leader.kill();
                }
            }
        }
    }
}
