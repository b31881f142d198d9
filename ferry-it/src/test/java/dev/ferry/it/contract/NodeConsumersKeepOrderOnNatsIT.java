package dev.ferry.it.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;

import dev.ferry.core.event.Event;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.NatsPipelineFixture;
import dev.ferry.it.support.NodeProject;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.ReadModelHistory;
import dev.ferry.nats.NatsConnections;

/**
 * {@link NodeConsumersKeepOrderOnKafkaIT} on NATS JetStream: two instances of a Node.js read model on the client's
 * {@code FerryNatsConsumer} ({@code clients/node}), sharing the stream's partitions through Ferry's partition-lease
 * protocol ({@code contracts/partition-leases.md}; JetStream 2.9 has no consumer groups), one killed with SIGKILL in
 * the middle of its partitions' backlog and started again, build a read model equal to the fold of the event store:
 * every aggregate's count, sum and last value, every version applied once and in order. Ferry's Java store appends;
 * Ferry's relay publishes to a real {@code nats-server}, a backlog first and then while the consumers run.
 * <p>
 * Counted as on Kafka: duplicate and reordered applies by a change stream on the read model opened before any consumer
 * starts ({@link ReadModelHistory}) and by each document's {@code applied} list. The kill is shown to have hit records
 * written but not acknowledged: the killed instance's applied records above the floor its partitions' next owners
 * started after (the JetStream server's ack floor when they took over, as they logged it); each is delivered again and
 * skipped as a duplicate. Duplicates are found there only: one anywhere else would mean two owners of a partition at
 * once, or a partition handed over before what was written was acknowledged. After a SIGTERM both remaining
 * instances stop within seconds, every partition acknowledged to its last message.
 * <p>
 * Needs {@code nats-server} (.ci/run installs it) and the {@code npm ci} .ci/run does in clients/node; without either,
 * this test fails naming the step.
 */
@Timeout(240)
class NodeConsumersKeepOrderOnNatsIT extends NatsPipelineFixture {

    private static final String TYPE = "patient";
    private static final String READ_MODEL = "node_patients";
    private static final int AGGREGATES = 200;
    private static final int BACKLOG = 2_000;
    private static final int LIVE = 2_000;
    private static final int APPLIED_BEFORE_KILL = 150;

    private final List<NodeConsumerProcess> consumers = new ArrayList<>();

    @AfterEach
    void stopConsumers() {
        consumers.forEach(NodeConsumerProcess::kill); // before the pipeline closes (the fixture's @AfterEach runs after)
    }

    @Test
    void twoNodeConsumersOneKilledAndRestartedBuildTheFoldOfTheStoreOnceAndInOrder() throws Exception {
        String node = NodeProject.CLIENT.node("@nats-io/jetstream", "mongodb");
        MongoCollection<Document> readModel = pipeline.database().getCollection(READ_MODEL);
        String group = "node-read-model";
        try (ReadModelHistory history = ReadModelHistory.watch(readModel);
             Connection connection = NatsConnections.open(settings, "check")) {
            JetStreamManagement management = connection.jetStreamManagement();
            // The relay creates the stream (recording the partition count) when it publishes the first event
            new AppendLoad(pipeline.store(), TYPE, AGGREGATES, BACKLOG, 2).runToEnd();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> storedMessages(management) >= BACKLOG);

            long started = System.nanoTime();
            NodeConsumerProcess a = start(node, "a", group);
            NodeConsumerProcess b = start(node, "b", group);
            CompletableFuture<Void> live = new AppendLoad(pipeline.store(), TYPE, AGGREGATES, LIVE, 2).start();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> b.runningAndCount("applied") >= APPLIED_BEFORE_KILL);

            b.kill();
            List<String> ownedByKilled = b.ownedPartitions();
            NodeConsumerProcess restarted = start(node, "b-restarted", group);
            live.get(90, TimeUnit.SECONDS);
            int stored = BACKLOG + LIVE;
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100))
                .until(() -> a.running() && restarted.running()
                    && NodeReadModelFold.versionsApplied(readModel) >= stored);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;

            a.stopAndWait();
            restarted.stopAndWait();
            List<Event> events = pipeline.storedEvents();
            ReadModelCheck check = ReadModelCheck.of(events, readModel, history);
            List<NodeConsumerProcess.Decision> all = Stream.of(a, b, restarted)
                .flatMap(consumer -> consumer.decisions().stream()).toList();
            // Where each partition of the killed instance was handed over: the floor its next owner started after, as
            // that owner logged it (what the server had recorded as acknowledged when it took the partition over)
            Map<Integer, Long> handedOverAt = new HashMap<>();
            Map<String, Long> killedEpochs = new HashMap<>();
            b.gains().forEach(gain -> killedEpochs.put(gain.partition(), gain.epoch()));
            Stream.of(a, restarted).flatMap(consumer -> consumer.gains().stream())
                .filter(gain -> ownedByKilled.contains(gain.partition())
                    && gain.epoch() > killedEpochs.get(gain.partition()))
                .sorted(Comparator.comparingLong(NodeConsumerProcess.Gain::epoch))
                .forEach(gain -> handedOverAt.putIfAbsent(partitionNumber(gain.partition()), gain.floor()));
            List<NodeConsumerProcess.Decision> writtenNotAcknowledged = b.decisions().stream()
                .filter(d -> d.decision().equals("applied") && handedOverAt.containsKey(d.partition()))
                .filter(d -> d.offset() > handedOverAt.get(d.partition())).toList();
            List<NodeConsumerProcess.Decision> duplicates = all.stream()
                .filter(d -> d.decision().equals("duplicate")).toList();
            Set<String> skippedAgain = all.stream().filter(d -> d.decision().equals("duplicate"))
                .map(NodeConsumerProcess.Decision::position).collect(Collectors.toSet());
            Map<Integer, Long> floorsAtEnd = PartitionFloors.done(management, settings, group, TYPE);
            Map<Integer, Long> lastSequences = PartitionFloors.ends(management, settings, TYPE);
            System.out.printf("NodeConsumersKeepOrderOnNatsIT: %d events of %d aggregates, read model complete %d ms "
                    + "after the consumers started; %s; decisions: %s; the killed instance owned %s, %d of its records "
                    + "were written but not acknowledged, %d of them skipped as duplicates after the kill%n",
                events.size(), check.aggregates(), tookMillis, check, NodeReadModelFold.counts(all), ownedByKilled,
                writtenNotAcknowledged.size(),
                writtenNotAcknowledged.stream().filter(d -> skippedAgain.contains(d.position())).count());

            assertThat(events).hasSize(stored);
            assertThat(check.readModelExact()).as(check.toString()).isTrue();
            assertThat(check.duplicatesApplied()).as(check.examples().toString()).isZero();
            assertThat(check.orderViolations()).as(check.examples().toString()).isZero();
            assertThat(check.applies()).as("every event applied once: nothing lost").isEqualTo(stored);
            assertThat(NodeReadModelFold.mismatches(events, readModel)).isEmpty();
            assertThat(all).as("no gap: the read model saw every version").noneMatch(d -> d.decision().equals("gap"));
            assertThat(ownedByKilled).as("the killed instance owned partitions").isNotEmpty();
            assertThat(writtenNotAcknowledged).as("the kill must land between writes and their acknowledgement")
                .isNotEmpty();
            assertThat(writtenNotAcknowledged).as("delivered again after the kill and skipped")
                .allMatch(d -> skippedAgain.contains(d.position()));
            assertThat(handedOverAt.keySet()).as("every partition of the killed instance handed over")
                .hasSize(ownedByKilled.size());
            assertThat(duplicates).as("duplicates only where the killed instance had written beyond what was "
                    + "acknowledged (any other would mean two owners at once, or a hand-over before acknowledging)")
                .allMatch(d -> handedOverAt.containsKey(d.partition()) && d.offset() > handedOverAt.get(d.partition()));
            assertThat(floorsAtEnd).as("a SIGTERM acknowledges what was written: every partition to its last message")
                .isEqualTo(lastSequences);
        }
    }

    /** Messages the stream holds. */
    private long storedMessages(JetStreamManagement management) throws IOException, JetStreamApiException {
        return management.getStreamInfo(settings.stream()).getStreamState().getMsgCount();
    }

    private static int partitionNumber(String partition) {
        return Integer.parseInt(partition.substring(partition.lastIndexOf('-') + 1));
    }

    private NodeConsumerProcess start(String node, String instance, String group) throws IOException {
        NodeConsumerProcess consumer = NodeConsumerProcess.onNats(node, instance, nats.url(), settings.stream(), TYPE,
            group, mongo.connectionString(), pipeline.database().getName(), READ_MODEL);
        consumers.add(consumer);
        return consumer;
    }
}
