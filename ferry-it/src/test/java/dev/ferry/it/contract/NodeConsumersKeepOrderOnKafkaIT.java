package dev.ferry.it.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;

import dev.ferry.core.event.Event;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.ReadModelHistory;
import dev.ferry.it.support.NodeProject;

/**
 * Two instances of a Node.js read model on the client's {@code FerryKafkaConsumer} ({@code clients/node}, one consumer
 * group), one killed with SIGKILL in the middle of its partitions' backlog and started again, build a read model equal
 * to the fold of the event store: every aggregate's count, sum and last value as the store's events give them, every
 * version applied once and in order. The events are appended by Ferry's Java store and relayed by Ferry's relay to the
 * embedded Kafka broker, a backlog first and then while the consumers run.
 * <p>
 * What is counted, and by whom: duplicate and reordered applies by a change stream on the read model, opened before any
 * consumer starts ({@link ReadModelHistory}, independent of the client), and by each document's {@code applied} list,
 * which the same conditional update that moves its {@code _version} pushes to. The kill is shown to have hit records
 * that were written but not committed: the killed instance's log of applied records at or past its partitions'
 * committed offsets right after the kill; each of them is delivered again to the partition's next owner, which skips it
 * as a duplicate. After a SIGTERM both remaining instances stop within seconds having committed everything.
 * <p>
 * The consumers run as {@code node test/it/kafka-consume.mjs} in {@code clients/node}, on the client's lockfile
 * (kafkajs, and the mongodb driver as a dev dependency, installed by the {@code npm ci} .ci/run does there); without
 * Node.js or that install this test fails, naming the step.
 */
@Timeout(180)
class NodeConsumersKeepOrderOnKafkaIT extends PipelineFixture {

    private static final String TYPE = "patient";
    private static final String READ_MODEL = "node_patients";
    private static final int AGGREGATES = 200;
    /** Appended and relayed before the consumers start: the first batches are large, so the kill lands inside one. */
    private static final int BACKLOG = 2_000;
    /** Appended while the consumers run, the kill and the restart included. */
    private static final int LIVE = 2_000;
    /** Applied by the instance to be killed before the kill: well into its first batches, far from their end. */
    private static final int APPLIED_BEFORE_KILL = 150;

    private final List<NodeConsumerProcess> consumers = new ArrayList<>();

    @AfterEach
    void stopConsumers() {
        consumers.forEach(NodeConsumerProcess::kill); // before the pipeline closes (a subclass's @AfterEach runs first)
    }

    @Test
    void twoNodeConsumersOneKilledAndRestartedBuildTheFoldOfTheStoreOnceAndInOrder() throws Exception {
        String node = NodeProject.CLIENT.node("kafkajs", "mongodb");
        pipeline.startRelay("r1");
        MongoCollection<Document> readModel = pipeline.database().getCollection(READ_MODEL);
        String topic = pipeline.topicPrefix() + TYPE;
        String group = "node-read-model-" + pipeline.topicPrefix();
        try (ReadModelHistory history = ReadModelHistory.watch(readModel)) {
            // Ferry creates the topic (with its partitions) when it relays the first event, not the broker: relay first
            new AppendLoad(pipeline.store(), TYPE, AGGREGATES, BACKLOG, 2).runToEnd();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> pipeline.recordCount() >= BACKLOG);

            long started = System.nanoTime();
            NodeConsumerProcess a = start(node, "a", topic, group);
            NodeConsumerProcess b = start(node, "b", topic, group);
            CompletableFuture<Void> live = new AppendLoad(pipeline.store(), TYPE, AGGREGATES, LIVE, 2).start();
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(() -> b.runningAndCount("applied") >= APPLIED_BEFORE_KILL);

            b.kill();
            Map<TopicPartition, Long> committedAtKill = GroupOffsets.committed(kafka.bootstrapServers(), group);
            List<NodeConsumerProcess.Decision> writtenNotCommitted = b.decisions().stream()
                .filter(d -> d.decision().equals("applied"))
                .filter(d -> d.offset() >= committedAtKill.getOrDefault(d.topicPartition(topic), 0L)).toList();
            NodeConsumerProcess restarted = start(node, "b-restarted", topic, group);
            live.get(90, TimeUnit.SECONDS);
            int stored = BACKLOG + LIVE;
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> a.running() && restarted.running() && NodeReadModelFold.versionsApplied(readModel) >= stored);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;

            a.stopAndWait();
            restarted.stopAndWait();
            List<Event> events = pipeline.storedEvents();
            ReadModelCheck check = ReadModelCheck.of(events, readModel, history);
            List<NodeConsumerProcess.Decision> all = Stream.of(a, b, restarted)
                .flatMap(consumer -> consumer.decisions().stream()).toList();
            Set<String> skippedAgain = all.stream().filter(d -> d.decision().equals("duplicate"))
                .map(NodeConsumerProcess.Decision::position).collect(Collectors.toSet());
            System.out.printf("NodeConsumersKeepOrderOnKafkaIT: %d events of %d aggregates, read model complete %d ms "
                    + "after the consumers started; %s; decisions: %s; %d written by the killed instance but not "
                    + "committed, %d of them skipped as duplicates after the kill%n", events.size(), check.aggregates(),
                tookMillis, check, NodeReadModelFold.counts(all), writtenNotCommitted.size(),
                writtenNotCommitted.stream().filter(d -> skippedAgain.contains(d.position())).count());

            assertThat(events).hasSize(stored);
            assertThat(check.readModelExact()).as(check.toString()).isTrue();
            assertThat(check.duplicatesApplied()).as(check.examples().toString()).isZero();
            assertThat(check.orderViolations()).as(check.examples().toString()).isZero();
            assertThat(check.applies()).as("every event applied once: nothing lost").isEqualTo(stored);
            assertThat(NodeReadModelFold.mismatches(events, readModel)).isEmpty();
            assertThat(all).as("no gap: the read model saw every version").noneMatch(d -> d.decision().equals("gap"));
            assertThat(writtenNotCommitted).as("the kill must land between writes and their commit").isNotEmpty();
            assertThat(writtenNotCommitted).as("delivered again after the kill and skipped")
                .allMatch(d -> skippedAgain.contains(d.position()));
            assertThat(GroupOffsets.committed(kafka.bootstrapServers(), group))
                .as("a SIGTERM commits what was written").isEqualTo(GroupOffsets.ends(kafka.bootstrapServers(), topic));
        }
    }

    private NodeConsumerProcess start(String node, String instance, String topic, String group) throws IOException {
        NodeConsumerProcess consumer = NodeConsumerProcess.onKafka(node, instance, kafka.bootstrapServers(), topic, group,
            mongo.connectionString(), pipeline.database().getName(), READ_MODEL);
        consumers.add(consumer);
        return consumer;
    }
}
