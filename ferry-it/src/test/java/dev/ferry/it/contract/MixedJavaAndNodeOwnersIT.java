package dev.ferry.it.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.model.Filters;

import io.nats.client.Connection;

import dev.ferry.core.projection.Projection;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.NatsPipelineFixture;
import dev.ferry.it.support.NodeProject;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.subscription.NatsPartitionSubscription;

/**
 * The partition-lease protocol ({@code contracts/partition-leases.md}) is one protocol, not two that look alike: a Java
 * projector ({@code NatsPartitionSubscription}) and a Node.js instance ({@code FerryNatsConsumer}, clients/node) in one
 * group split its 12 partitions 6 and 6 by their leases; when the Java instance is killed (its leases not released)
 * the Node one takes all 12; when another Java instance joins, the Node one hands 6 back to it — while events are
 * appended and relayed to a real {@code nats-server}, both writing one read model (the Java counter projection's
 * {@code state.n} under {@code _version}). From the read model's change stream: every event applied once and in order,
 * every aggregate at the fold of the store.
 * <p>
 * Needs {@code nats-server} (.ci/run installs it) and the {@code npm ci} .ci/run does in clients/node.
 */
@Timeout(240)
class MixedJavaAndNodeOwnersIT extends NatsPipelineFixture {

    private static final String TYPE = "patient";

    private final List<NodeConsumerProcess> consumers = new ArrayList<>();

    @AfterEach
    void stopConsumers() {
        consumers.forEach(NodeConsumerProcess::kill); // before the pipeline closes (the fixture's @AfterEach runs after)
    }

    @Test
    void javaAndNodeInstancesShareOneGroupsPartitionsAndHandThemOverByTheSameLeases() throws Exception {
        String node = NodeProject.CLIENT.node("@nats-io/jetstream", "mongodb");
        Projection projection = TestProjections.counter("mixed_" + System.nanoTime());
        try (Connection connection = NatsConnections.open(settings, "check")) {
            // The relay creates the stream, recording the partition count the Node consumer reads, with its first event
            new AppendLoad(pipeline.store(), TYPE, 100, 200, 1).runToEnd();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() ->
                connection.jetStreamManagement().getStreamInfo(settings.stream()).getStreamState().getMsgCount() >= 200);

            ProjectionProcessor java1 = startJava("java-1", projection);
            NodeConsumerProcess node1 = NodeConsumerProcess.onNats(node, "node-1", nats.url(), settings.stream(), TYPE,
                projection.name(), mongo.connectionString(), pipeline.database().getName(), projection.name());
            consumers.add(node1);
            Map<String, Integer> split = awaitOwners(projection, Map.of("java-1", 6, "node-1", 6), node1, 6);

            CompletableFuture<Void> live = new AppendLoad(pipeline.store(), TYPE, 100, 3_000, 2).start();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> node1.runningAndCount("applied") >= 300);
            java1.kill(); // as a crash: its leases stay in its name until they expire
            long killed = System.nanoTime();
            Map<String, Integer> afterKill = awaitOwners(projection, Map.of("node-1", settings.partitions()), node1,
                settings.partitions());
            long movedMillis = (System.nanoTime() - killed) / 1_000_000;

            startJava("java-2", projection);
            Map<String, Integer> afterJoin = awaitOwners(projection, Map.of("java-2", 6, "node-1", 6), node1, 6);

            live.get(90, TimeUnit.SECONDS);
            int stored = pipeline.storedEvents().size();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> pipeline.checkReadModel(projection).readModelExact());
            ReadModelCheck check = pipeline.checkReadModel(projection);
            node1.stopAndWait();
            System.out.printf("MixedJavaAndNodeOwnersIT: leases %s, after the Java instance was killed %s (moved in %d "
                    + "ms), after another joined %s; %d events; Node decisions %s; %s%n", split, afterKill, movedMillis,
                afterJoin, stored, NodeReadModelFold.counts(node1.decisions()), check);

            assertThat(check.readModelExact()).as(check.toString()).isTrue();
            assertThat(check.duplicatesApplied()).as(check.examples().toString()).isZero();
            assertThat(check.orderViolations()).as(check.examples().toString()).isZero();
            assertThat(check.applies()).as("every event applied once: nothing lost").isEqualTo(stored);
            assertThat(node1.decisions()).as("no gap").noneMatch(d -> d.decision().equals("gap"));
            // Both sides wrote the one read model: Java's writer keeps _lastEventId, the Node client's _lastRecordId
            var readModel = pipeline.database().getCollection(projection.name());
            assertThat(readModel.countDocuments(Filters.exists("_lastEventId"))).as("documents Java wrote").isPositive();
            assertThat(readModel.countDocuments(Filters.exists("_lastRecordId"))).as("documents Node wrote").isPositive();
        }
    }

    /**
     * Waits until the group's partition leases are owned as {@code expected} (instance → partitions) and the Node
     * instance says it reads {@code nodeOwns} of them; returns the owners seen.
     */
    private Map<String, Integer> awaitOwners(Projection projection, Map<String, Integer> expected,
                                             NodeConsumerProcess node, int nodeOwns) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
            .until(() -> node.running() && owners(projection).equals(expected)
                && node.ownedPartitions().size() == nodeOwns);
        return owners(projection);
    }

    /** Partition leases per owner, as stored. */
    private Map<String, Integer> owners(Projection projection) {
        Map<String, Integer> owners = new TreeMap<>();
        String prefix = projection.name() + ".partition.";
        for (Document lease : pipeline.database().getCollection(Pipeline.LEASES)
            .find(Filters.regex("_id", "^" + Pattern.quote(prefix)))) {
            String owner = lease.getString("owner");
            if (owner != null) {
                owners.merge(owner, 1, Integer::sum);
            }
        }
        return owners;
    }

    private ProjectionProcessor startJava(String instanceId, Projection projection) {
        return pipeline.startProjector(instanceId, projection, ProcessorSettings.DEFAULT,
            new NatsPartitionSubscription(settings, pipeline.leases(), projection.name(), instanceId,
                NatsPartitionSubscription.PARTITION_LEASES, event -> { }));
    }
}
