package dev.ferry.it.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.store.ConcurrencyConflict;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.NodeProject;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.ReadModelHistory;
import dev.ferry.it.support.TestProjections;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * Java appenders (Ferry's {@code MongoEventStore}, on threads) and Node appenders ({@code @ferry/client}'s
 * {@code EventStore}, in processes of their own) append to the same few aggregates at once, each reading the
 * aggregate's version, appending, and on a conflict reading again and retrying, until each has stored its share. Both
 * sides meet conflicts, also against the other language's commits; a conflicting append leaves nothing stored, so the
 * versions in MongoDB are 1..n per aggregate with none twice, and the events stored are exactly those of the appends
 * reported as done. Ferry's relay publishes every stored event once, in version order per aggregate, and Ferry's Java
 * projector builds from the topic a read model equal to the fold of the store, and so does the Node client's consumer
 * ({@link NodeConsumerProcess}): each event applied once, in order.
 */
@Timeout(120)
class JavaAndNodeAppendersRaceIT extends PipelineFixture {

    /** The type {@link TestProjections#counter} projects. */
    private static final String TYPE = "patient";
    /** Few aggregates for five writers: most appends race another. */
    private static final List<String> AGGREGATES = List.of("race-0", "race-1", "race-2", "race-3");
    private static final int JAVA_WRITERS = 3;
    private static final int NODE_WRITERS = 2;
    private static final int EVENTS_PER_WRITER = 150;
    private static final int EVENTS = (JAVA_WRITERS + NODE_WRITERS) * EVENTS_PER_WRITER;
    /** Conflicts in a row on one append before a Java writer gives up, as the Node script does. */
    private static final int MAX_ATTEMPTS_PER_APPEND = 1_000;
    private static final Duration RACE_BOUND = Duration.ofSeconds(45);
    /** The collection the Node consumer folds the topic into. */
    private static final String NODE_READ_MODEL = "node_race_read_model";

    private final List<NodeAppenderProcess> nodeWriters = new ArrayList<>();
    private ExecutorService javaWriters;

    @AfterEach
    void stopWriters() {
        nodeWriters.forEach(NodeAppenderProcess::kill);
        if (javaWriters != null) {
            javaWriters.shutdownNow();
        }
    }

    @Test
    void javaAndNodeAppendersRacingOnTheSameAggregatesConflictOnBothSidesAndEveryStoredEventIsRelayedOnceInOrder()
        throws Exception {
        ChangeStreamRelay relay = pipeline.startRelay("relay-1");
        Projection projection = TestProjections.counter("race_" + System.nanoTime());
        pipeline.watchReadModel(projection); // before anything writes the read model
        pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT);

        for (int n = 1; n <= NODE_WRITERS; n++) {
            nodeWriters.add(NodeAppenderProcess.start(mongo.connectionString(), mongo.databaseName(), Pipeline.EVENTS,
                "node-" + n, TYPE, AGGREGATES, EVENTS_PER_WRITER));
        }
        nodeWriters.forEach(writer -> writer.awaitReady(Duration.ofSeconds(30)));
        CountDownLatch go = new CountDownLatch(1);
        javaWriters = Executors.newFixedThreadPool(JAVA_WRITERS);
        List<Future<List<AppendAttempt>>> javaAttempts = new ArrayList<>();
        for (int n = 1; n <= JAVA_WRITERS; n++) {
            String writer = "java-" + n;
            javaAttempts.add(javaWriters.submit(() -> appendAsJava(writer, go)));
        }
        long started = System.nanoTime();
        nodeWriters.forEach(NodeAppenderProcess::go);
        go.countDown();
        List<AppendAttempt> attempts = new ArrayList<>();
        for (Future<List<AppendAttempt>> writer : javaAttempts) {
            attempts.addAll(writer.get(RACE_BOUND.toSeconds(), TimeUnit.SECONDS));
        }
        for (NodeAppenderProcess writer : nodeWriters) {
            attempts.addAll(writer.awaitDone(RACE_BOUND));
        }
        long raced = System.nanoTime();

        // Conflicts on both sides, and across: the winner of a lost race is whoever stored the version after the one
        // the loser read (every version read is the end of a commit, so the loser's commit met the winner's start).
        List<Event> stored = pipeline.storedEvents();
        Map<String, String> writerOf = stored.stream().collect(Collectors.toMap(
            event -> event.aggregateId() + "/" + event.version(), event -> event.metadata().correlationId(),
            (one, other) -> one + " and " + other)); // a version stored twice fails below
        List<AppendAttempt> conflicts = attempts.stream().filter(AppendAttempt::conflict).toList();
        long javaConflicts = conflicts.stream().filter(attempt -> !attempt.byNode()).count();
        long nodeConflicts = conflicts.stream().filter(AppendAttempt::byNode).count();
        long javaLostToNode = conflicts.stream().filter(attempt -> !attempt.byNode()
            && winner(writerOf, attempt).startsWith("node-")).count();
        long nodeLostToJava = conflicts.stream().filter(attempt -> attempt.byNode()
            && winner(writerOf, attempt).startsWith("java-")).count();
        System.out.printf("JavaAndNodeAppendersRaceIT: %d events by %d Java threads and %d Node processes on %d "
                + "aggregates in %d ms (%d attempts); conflicts: Java %d (%d lost to Node), Node %d (%d lost to Java)%n",
            stored.size(), JAVA_WRITERS, NODE_WRITERS, AGGREGATES.size(), (raced - started) / 1_000_000, attempts.size(),
            javaConflicts, javaLostToNode, nodeConflicts, nodeLostToJava);
        assertThat(javaConflicts).as("conflicts detected by the Java store").isPositive();
        assertThat(nodeConflicts).as("conflicts detected by the Node client").isPositive();
        assertThat(javaLostToNode).as("Java appends that lost to a Node commit").isPositive();
        assertThat(nodeLostToJava).as("Node appends that lost to a Java commit").isPositive();

        // Nothing of a conflicting append is stored, everything of a successful one is, and nothing else.
        assertThat(versionGaps()).as("versions per aggregate in MongoDB not 1..n, each once").isEmpty();
        assertThat(stored).hasSize(EVENTS);
        Map<String, List<Long>> storedByAttempt = new HashMap<>();
        for (Event event : stored.stream().sorted((a, b) -> Long.compare(a.version(), b.version())).toList()) {
            storedByAttempt.computeIfAbsent(Document.parse(event.payloadJson()).getString("attempt"),
                attempt -> new ArrayList<>()).add(event.version());
        }
        assertThat(storedByAttempt).as("the versions each attempt stored")
            .isEqualTo(attempts.stream().filter(attempt -> !attempt.conflict())
                .collect(Collectors.toMap(AppendAttempt::id, AppendAttempt::versions)))
            .doesNotContainKeys(conflicts.stream().map(AppendAttempt::id).toArray(String[]::new));

        // Every stored event published once, in version order per aggregate; the relay's own counts agree.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
            .until(() -> relay.status().published() >= EVENTS && pipeline.recordCount() >= EVENTS);
        DeliveryCheck delivery = pipeline.check();
        RelayStatus status = relay.status();
        System.out.printf("JavaAndNodeAppendersRaceIT: relayed %d ms after the race: %s; relay published %d, "
                + "dead-lettered %d, restarts %d%n", (System.nanoTime() - raced) / 1_000_000, delivery,
            status.published(), status.deadLettered(), status.restartCount());
        assertThat(delivery).isEqualTo(new DeliveryCheck(EVENTS, EVENTS, 0, 0, 0, 0, 0));
        assertThat(status.role()).isEqualTo(RelayStatus.Role.LEADER);
        assertThat(status.published()).isEqualTo(EVENTS);
        assertThat(status.deadLettered()).isZero();
        assertThat(status.restartCount()).as("restarts: %s", status.lastFailure()).isZero();
        assertThat(pipeline.database().getCollection(Pipeline.GAPS).countDocuments()).as("gaps recorded").isZero();

        // Ferry's Java projector, reading the topic, builds the fold of the store: each event applied once, in order.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
            .until(() -> pipeline.checkReadModel(projection).readModelExact());
        ReadModelCheck readModel = pipeline.checkReadModel(projection);
        System.out.println("JavaAndNodeAppendersRaceIT: " + readModel);
        assertThat(readModel.aggregates()).isEqualTo(AGGREGATES.size());
        assertThat(readModel.duplicatesApplied()).as("duplicate applies: %s", readModel.examples()).isZero();
        assertThat(readModel.orderViolations()).as("order violations: %s", readModel.examples()).isZero();
        assertThat(readModel.applies()).isEqualTo(EVENTS);

        // So does a Node read model, built by the client's consumer from the same topic.
        String node = NodeProject.CLIENT.node("kafkajs", "mongodb");
        MongoCollection<Document> nodeReadModel = pipeline.database().getCollection(NODE_READ_MODEL);
        try (ReadModelHistory history = ReadModelHistory.watch(nodeReadModel);
             NodeConsumerProcess reader = NodeConsumerProcess.onKafka(node, "race-reader", kafka.bootstrapServers(),
                 pipeline.topicPrefix() + TYPE, "node-race-" + pipeline.topicPrefix(), mongo.connectionString(),
                 pipeline.database().getName(), NODE_READ_MODEL)) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> reader.runningAndCount("applied") >= EVENTS);
            reader.stopAndWait();
            ReadModelCheck built = ReadModelCheck.of(stored, nodeReadModel, history);
            System.out.println("JavaAndNodeAppendersRaceIT: the Node read model: " + built);
            assertThat(built.readModelExact()).as(built.toString()).isTrue();
            assertThat(built.duplicatesApplied()).as("duplicate applies: %s", built.examples()).isZero();
            assertThat(built.orderViolations()).as("order violations: %s", built.examples()).isZero();
            assertThat(built.applies()).isEqualTo(EVENTS);
        }
    }

    /**
     * One Java writer: its share of events, one or two at a time, to aggregates picked at random, each append at the
     * version just read and retried after a conflict. Each event's payload names the attempt that stored it.
     */
    private List<AppendAttempt> appendAsJava(String writer, CountDownLatch go) throws InterruptedException {
        MongoEventStore store = pipeline.store();
        List<AppendAttempt> attempts = new ArrayList<>();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        go.await();
        for (int appended = 0; appended < EVENTS_PER_WRITER; ) {
            String aggregateId = AGGREGATES.get(random.nextInt(AGGREGATES.size()));
            int batch = Math.min(1 + random.nextInt(2), EVENTS_PER_WRITER - appended);
            for (int conflicts = 0; ; conflicts++) {
                assertThat(conflicts).as("%s: conflicts in a row on %s", writer, aggregateId)
                    .isLessThan(MAX_ATTEMPTS_PER_APPEND);
                String id = writer + "#" + (attempts.size() + 1);
                long expected = store.read(TYPE, aggregateId).size();
                List<NewEvent> events = new ArrayList<>();
                for (int i = 1; i <= batch; i++) {
                    events.add(new NewEvent("Changed", "{\"n\": " + (expected + i) + ", \"attempt\": \"" + id + "\"}",
                        new EventMetadata(writer, null)));
                }
                try {
                    List<Long> versions = store.append(TYPE, aggregateId, expected, events).stream()
                        .map(Event::version).toList();
                    attempts.add(AppendAttempt.appended(id, writer, aggregateId, expected, versions));
                    break;
                } catch (ConcurrencyConflict conflict) {
                    assertThat(List.of(conflict.aggregateType(), conflict.aggregateId(), conflict.expectedVersion()))
                        .containsExactly(TYPE, aggregateId, expected);
                    attempts.add(AppendAttempt.conflicted(id, writer, aggregateId, expected));
                }
            }
            appended += batch;
        }
        return attempts;
    }

    /** Who stored the version after the one a conflicting attempt read: the append it lost to. */
    private static String winner(Map<String, String> writerOf, AppendAttempt conflict) {
        String winner = writerOf.get(conflict.aggregateId() + "/" + (conflict.expectedVersion() + 1));
        assertThat(winner).as("the version %s lost to is stored", conflict).isNotNull();
        return winner;
    }

    /**
     * The store's commits read straight from MongoDB, aggregate by aggregate in version order: what breaks versions
     * 1..n with none twice (a commit not starting where the last ended, events not numbered first..last).
     */
    private List<String> versionGaps() {
        List<String> gaps = new ArrayList<>();
        Map<String, Long> ends = new TreeMap<>();
        for (BsonDocument commit : pipeline.database().getCollection(Pipeline.EVENTS, BsonDocument.class).find()
            .sort(Sorts.ascending("aggregateId", "firstVersion"))) {
            String aggregate = commit.getString("aggregateId").getValue();
            long first = commit.get("firstVersion").asNumber().longValue();
            long last = commit.get("lastVersion").asNumber().longValue();
            long end = ends.getOrDefault(aggregate, 0L);
            if (first != end + 1) {
                gaps.add(aggregate + ": a commit starts at " + first + " after version " + end);
            }
            List<Long> versions = commit.getArray("events").getValues().stream().map(BsonValue::asDocument)
                .map(event -> event.get("version").asNumber().longValue()).toList();
            List<Long> expected = new ArrayList<>();
            for (long version = first; version <= last; version++) {
                expected.add(version);
            }
            if (!versions.equals(expected)) {
                gaps.add(aggregate + ": the commit " + first + ".." + last + " holds versions " + versions);
            }
            ends.put(aggregate, Math.max(end, last));
        }
        if (!ends.keySet().equals(new TreeSet<>(AGGREGATES))) {
            gaps.add("aggregates stored: " + ends.keySet());
        }
        return gaps;
    }
}
