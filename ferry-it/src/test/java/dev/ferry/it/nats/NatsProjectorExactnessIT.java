package dev.ferry.it.nats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.nats.client.Connection;

import dev.ferry.core.event.Event;
import dev.ferry.core.projection.Projection;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.NatsPipelineFixture;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.StreamContents;
import dev.ferry.nats.subscription.NatsPartitionSubscription;

/**
 * {@code ProjectorExactnessIT} on NATS: relay → JetStream → three projector instances (the same engine, over
 * lease-owned partitions). One runs in a process of its own and is killed with SIGKILL under load, so nothing of it
 * writes after the kill (an in-process kill would stop its engine but not runs already queued to its read-model
 * writer's thread). The kill is confirmed to have landed mid-work from outside: the read model in MongoDB already
 * held events of its partitions that the JetStream server had not recorded as acknowledged (beyond the consumers'
 * ack floors), which the next owners, starting at those floors, receive again; if a kill finds none, another
 * instance is started and killed, and the test fails if no kill lands mid-work. Then, from a change stream on the
 * read-model collection (not the writer's own apply log): no write ever repeated or moved back an aggregate's
 * version, and every aggregate reached the fold of the event store; nothing parked (the parked collection).
 * No Kafka broker here: the pipeline's relay publishes to JetStream.
 */
@Timeout(400)
class NatsProjectorExactnessIT extends NatsPipelineFixture {

    /** Kills tried before the test gives up on a mid-work kill (one has always sufficed so far). */
    private static final int KILLS = 3;

    private final List<ProjectorChild> children = new ArrayList<>();

    @AfterEach
    void stopChildren() {
        children.forEach(ProjectorChild::close); // before the pipeline closes (the fixture's @AfterEach runs after)
    }

    @Test
    void aProcessKilledWithAppliedUnacknowledgedEventsLeavesEveryAggregateAtItsFoldNeverRepeatedNorMovedBack()
        throws Exception {
        Projection projection = TestProjections.counter("counters_" + System.nanoTime());
        Connection connection = NatsConnections.open(settings, "check");
        try (ReadModelVersionChanges changes = new ReadModelVersionChanges(pipeline.database(), projection.name())) {
            ProjectorChild victim = startChild("p1", projection);
            // It owns every partition before the others join: they take theirs from it by the balance.
            victim.awaitStatus(status -> !status.owned().isEmpty(), () -> false, Duration.ofSeconds(60));
            ProjectionProcessor second = start("p2", projection);
            ProjectionProcessor third = start("p3", projection);
            AppendLoad load = new AppendLoad(pipeline.store(), "patient", 500, 12_000, 4);
            long started = System.nanoTime();
            CompletableFuture<Void> appending = load.start();

            List<WorkInFlightAtKill.Partition> inFlight = List.of();
            List<String> kills = new ArrayList<>();
            Set<String> partitionsOfVictims = new HashSet<>();
            long killedAt = 0;
            for (int kill = 1; kill <= KILLS; kill++) {
                ProjectorChild child = kill == 1 ? victim : startChild("p1-" + kill, projection);
                // A trigger only (the child's own count): the evidence is read from MongoDB and the server below.
                long enough = kill == 1 ? 1_000 : 200;
                boolean working = child.awaitStatus(status -> status.applied() >= enough && !status.owned().isEmpty(),
                    appending::isDone, Duration.ofSeconds(120));
                if (!working) {
                    kills.add(child.instanceId() + ": the load ended before it had work");
                    break;
                }
                Set<String> owned = child.status().owned();
                child.kill();
                killedAt = System.nanoTime();
                WorkInFlightAtKill atKill = WorkInFlightAtKill.capture(pipeline.database(), projection.name(),
                    connection, settings, child.instanceId());
                partitionsOfVictims.addAll(owned);
                inFlight = atKill.partitions(connection, settings, eventsById());
                kills.add(child.instanceId() + " (owned " + owned + "): " + inFlight);
                if (inFlight.stream().anyMatch(p -> p.appliedBeyondFloor() > 0)) {
                    break;
                }
            }
            int appliedUnacknowledged = inFlight.stream()
                .mapToInt(WorkInFlightAtKill.Partition::appliedBeyondFloor).sum();
            assertThat(appliedUnacknowledged).as("events of the killed instance's partitions the read model held at "
                + "the kill beyond the server's ack floor (a kill that lands mid-work); kills: %s", kills).isPositive();

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50)).until(() -> {
                Set<String> owned = new HashSet<>(second.status().assigned());
                owned.addAll(third.status().assigned());
                return owned.containsAll(partitionsOfVictims);
            });
            long movedMillis = (System.nanoTime() - killedAt) / 1_000_000;

            // 12,000 appends by 4 writers take well under a minute here; the bound only turns a hang into a failure
            appending.get(3, TimeUnit.MINUTES);
            Map<String, Long> fold = new HashMap<>();
            pipeline.storedEvents().forEach(e -> fold.merge(e.aggregateId(), e.version(), Math::max));
            changes.awaitVersions(fold, Duration.ofSeconds(180));
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .until(() -> pipeline.checkReadModel(projection).readModelExact());
            ReadModelCheck check = pipeline.checkReadModel(projection);
            var stored = StreamContents.read(connection, settings.stream());
            long streamDuplicates = stored.size()
                - stored.stream().map(m -> m.header("Nats-Msg-Id")).distinct().count();
            long parked = pipeline.database().getCollection("ferry_parked").countDocuments();
            System.out.printf("NatsProjectorExactnessIT kill: 12,000 events in %d ms; kills %s; partitions %s moved in "
                + "%d ms; %d events applied and unacknowledged at the kill; read-model writes seen %d; stream "
                + "duplicates %d; parked %d; %s%n", (System.nanoTime() - started) / 1_000_000, kills,
                partitionsOfVictims, movedMillis, appliedUnacknowledged, changes.writes(), streamDuplicates, parked,
                check);
            assertThat(changes.violations()).as("read-model writes that repeated or moved back a version")
                .isEmpty();
            assertThat(changes.unreadable()).as("read-model changes that were not a versioned insert or update")
                .isEmpty();
            assertThat(check.readModelExact()).as("every aggregate at the fold of the event store: %s", check)
                .isTrue();
            assertThat(check.applies()).as("versions the read model's history moved documents forward by: each of "
                + "the 12,000 events once").isEqualTo(12_000);
            assertThat(parked).as("parked events").isZero();
            assertThat(streamDuplicates).isZero();
            assertThat(movedMillis).as("partitions move after the lease TTL").isLessThan(15_000);
        } finally {
            connection.close();
        }
    }

    private ProjectorChild startChild(String instanceId, Projection projection) throws Exception {
        ProjectorChild child = ProjectorChild.start(instanceId, mongo.connectionString(), mongo.databaseName(),
            nats.url(), settings.stream(), projection.name());
        children.add(child);
        return child;
    }

    private ProjectionProcessor start(String instanceId, Projection projection) {
        return pipeline.startProjector(instanceId, projection, ProcessorSettings.DEFAULT,
            new NatsPartitionSubscription(settings, pipeline.leases(), projection.name(), instanceId,
                NatsPartitionSubscription.PARTITION_LEASES, event -> { }));
    }

    private Map<String, Event> eventsById() {
        Map<String, Event> byId = new HashMap<>();
        pipeline.storedEvents().forEach(e -> byId.put(e.eventId(), e));
        return byId;
    }
}
