package dev.ferry.it.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.projection.Projection;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.engine.ProjectorSettings;
import dev.ferry.engine.ProjectorStatus;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.StreamContents;
import dev.ferry.nats.publish.NatsPublishers;
import dev.ferry.nats.subscription.NatsPartitionSubscription;
import dev.ferry.nats.subscription.OwnershipEvent;

/**
 * {@code ProjectorExactnessIT} on NATS: relay → JetStream → three projector instances (the same engine, over
 * lease-owned partitions), one killed mid-batch while holding unacknowledged messages (checked from its ownership
 * log): the read model equals the
 * fold, nothing applied twice or out of order, nothing parked (the new owner restarts at the ack floor, in order).
 * No Kafka broker here: the pipeline's relay publishes to JetStream.
 */
@Timeout(400)
class NatsProjectorExactnessIT {

    private static NatsServerProcess nats;
    private MongoUnderTest mongo;
    private Pipeline pipeline;
    private NatsSettings settings;
    private final List<OwnershipEvent> ownershipLog = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startNats() {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        nats.close();
    }

    @BeforeEach
    void startRelayOnNats() {
        mongo = MongoUnderTest.start("ferry_it");
        pipeline = new Pipeline(mongo, null);
        settings = NatsSettings.local(nats.url(), "it" + System.nanoTime());
        pipeline.startRelayOn("relay-1", new NatsPublishers(settings));
    }

    @AfterEach
    void stopPipeline() {
        pipeline.close();
        mongo.close();
    }

    @Test
    void anInstanceKilledMidBatchLosesNothingAppliesNothingTwiceAndParksNothing() throws Exception {
        Projection projection = TestProjections.counter("counters_" + System.nanoTime());
        ProjectionProcessor victim = start("p1", projection);
        ProjectionProcessor second = start("p2", projection);
        ProjectionProcessor third = start("p3", projection);
        AppendLoad load = new AppendLoad(pipeline.store(), "patient", 500, 12_000, 4);
        long started = System.nanoTime();
        CompletableFuture<Void> appending = load.start();

        await().atMost(Duration.ofSeconds(120)).until(() -> victim.status().applied() >= 1_000
            && !victim.status().assigned().isEmpty());
        Set<String> partitionsOfVictim = victim.status().assigned();
        victim.kill();
        long heldUnacknowledged = unacknowledgedPartitions("p1");
        long killedAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
            Set<String> owned = new HashSet<>(second.status().assigned());
            owned.addAll(third.status().assigned());
            return owned.containsAll(partitionsOfVictim);
        });
        long movedMillis = (System.nanoTime() - killedAt) / 1_000_000;

        appending.get();
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
            .until(() -> pipeline.checkReadModel(projection).readModelExact());
        ReadModelCheck check = pipeline.checkReadModel(projection);
        long streamDuplicates;
        var connection = NatsConnections.open(settings, "check");
        try {
            var stored = StreamContents.read(connection, settings.stream());
            streamDuplicates = stored.size() - stored.stream().map(m -> m.header("Nats-Msg-Id")).distinct().count();
        } finally {
            connection.close();
        }
        System.out.printf("NatsProjectorExactnessIT kill: 12,000 events in %d ms; partitions %s of the killed instance "
            + "moved in %d ms; stream duplicates %d; %s%n", (System.nanoTime() - started) / 1_000_000, partitionsOfVictim,
            movedMillis, streamDuplicates, check);
        System.out.printf("NatsProjectorExactnessIT: the killed instance held unacknowledged messages of %d "
            + "partitions; none parked%n", heldUnacknowledged);
        assertThat(check.duplicatesApplied()).isZero();
        assertThat(check.orderViolations()).isZero();
        assertThat(check.applies()).isEqualTo(12_000);
        assertThat(List.of(second.status(), third.status())).extracting(ProjectorStatus::parked).containsOnly(0L);
        assertThat(streamDuplicates).isZero();
        assertThat(heldUnacknowledged).as("partitions the killed instance held delivered, unacknowledged messages of")
            .isPositive();
        assertThat(movedMillis).as("partitions move after the lease TTL").isLessThan(15_000);
    }

    private ProjectionProcessor start(String instanceId, Projection projection) {
        return pipeline.startProjector(instanceId, projection, ProjectorSettings.DEFAULT,
            new NatsPartitionSubscription(settings, pipeline.leases(), projection.name(), instanceId,
                NatsPartitionSubscription.PARTITION_LEASES, ownershipLog::add));
    }

    /** Partitions whose last delivery to the instance lies beyond its last acknowledgement there. */
    private long unacknowledgedPartitions(String instance) {
        Map<String, Long> delivered = new HashMap<>();
        Map<String, Long> acknowledged = new HashMap<>();
        for (OwnershipEvent event : ownershipLog) {
            String key = event.partition() + "@" + event.epoch();
            if (event.instance().equals(instance) && event.kind() == OwnershipEvent.Kind.DELIVERED) {
                delivered.merge(key, event.to(), Math::max);
            } else if (event.instance().equals(instance) && event.kind() == OwnershipEvent.Kind.ACKNOWLEDGED) {
                acknowledged.merge(key, event.to(), Math::max);
            }
        }
        return delivered.entrySet().stream().filter(d -> d.getValue() > acknowledged.getOrDefault(d.getKey(), 0L))
            .count();
    }
}
