package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.ForwardingRecordPublisher;
import dev.ferry.it.support.Pause;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.it.support.TopicRecords;
import dev.ferry.kafka.publish.ExactlyOnce;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.relay.MongoGapLog;

/**
 * Kafka's exactly-once mode (issue 35): relays sharing one {@code transactional.id}, each term fencing the ones before
 * it and committing its position with its records. Under load — leaders killed as a crash would (the open transaction
 * left behind), a leader frozen mid-publish past its lease, one frozen after its lease check and before its commit
 * (fenced by its successor's producer when it wakes), a broker restart, a leader killed mid-copy — a
 * {@code read_committed} reader finds every stored event exactly once, in each key's order. A {@code read_uncommitted}
 * reader of the same partitions is shown beside it: what the dead leaders had sent in their aborted transactions is
 * there, sent again by their successors.
 */
@Timeout(300)
class ExactlyOnceRelayIT extends PipelineFixture {

    private final List<KafkaPublishers> publishers = new ArrayList<>();
    private final Pause pause = new Pause();
    private ChangeStreamRelay zombie;

    @AfterEach
    void closePublishers() {
        pause.resume(); // a thread held at the gate would hold the kill up
        if (zombie != null) {
            zombie.kill();
        }
        publishers.forEach(KafkaPublishers::close); // the pipeline's relays are killed after this
    }

    @Test
    void leadersKilledMidTransactionLeaveEveryEventOnceForACommittedReader() throws Exception {
        List<ChangeStreamRelay> relays = new ArrayList<>(List.of(startRelay("a"), startRelay("b")));
        CompletableFuture<Void> appending = new AppendLoad(pipeline.store(), "patient", 200, 6_000, 3).start();

        List<Long> killedEpochs = new ArrayList<>();
        for (int kill = 1; kill <= 2; kill++) {
            ChangeStreamRelay leader = awaitLeader(relays);
            await().atMost(Duration.ofSeconds(60)).until(() -> leader.status().published() >= 800 || appending.isDone());
            killedEpochs.add(leader.status().epoch());
            leader.kill(); // no commit, no release: its open transaction is left to its successor to abort
            relays.remove(leader);
            relays.add(startRelay("standby-" + kill));
        }

        appending.get(5, TimeUnit.MINUTES);
        List<Event> stored = pipeline.storedEvents();
        TopicRecords committed = new TopicRecords(pipeline.kafka().bootstrapServers(), true);
        List<PublishedRecord> records = committed.awaitEvents(pipeline.topicPrefix(), pipeline.deadLetterTopic(), stored,
            Duration.ofSeconds(120));
        DeliveryCheck check = DeliveryCheck.of(stored, records);
        DeliveryCheck uncommitted = pipeline.check();
        System.out.printf("ExactlyOnceRelayIT kills: leaders of epochs %s killed; read_committed: %s; "
            + "read_uncommitted: %s%n", killedEpochs, check, uncommitted);

        assertThat(killedEpochs).as("two leaders killed").hasSize(2);
        assertEveryEventOnceInOrder(check);
        assertThat(records).as("every record once").hasSize(stored.size());
    }

    @Test
    void aLeaderFrozenInAPublishCommitsNothingOnceItsSuccessorHasTakenOver() throws Exception {
        ExactlyOnce mode = mode();
        KafkaPublishers zombiePublishers = publishers(mode);
        zombie = new ChangeStreamRelay(pipeline.settings(), "zombie", new MongoChangeSource(
            pipeline.database().getCollection(Pipeline.EVENTS, RawBsonDocument.class), ChangeStreamTail.Settings.DEFAULT),
            SourceCopy.NONE, pause.publishers(zombiePublishers), pause.checkpoints(pipeline.checkpoints()),
            pause.leases(new MongoLeaseStore(pipeline.database(), Pipeline.LEASES)),
            new MongoGapLog(pipeline.database(), Pipeline.GAPS));
        zombie.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> zombie.status().role() == RelayStatus.Role.LEADER);
        ChangeStreamRelay successor = startRelay("successor");
        CompletableFuture<Void> appending = new AppendLoad(pipeline.store(), "patient", 200, 6_000, 3).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> zombie.status().published() >= 1_000);

        pause.pauseInNextPublish();
        pause.awaitFrozen(Duration.ofSeconds(30));
        RecordPublisher.Provenance frozen = pause.frozenPublish();
        // The successor leads and commits past the frozen record (sequences are stable across failovers).
        TopicRecords committed = new TopicRecords(pipeline.kafka().bootstrapServers(), true);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
            .until(() -> committed.read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
                .anyMatch(r -> r.epoch() > frozen.epoch() && r.sequence() >= frozen.sequence()));
        pause.resume();
        await().atMost(Duration.ofSeconds(30)).until(() -> !latePublishes(frozen.epoch()).isEmpty()
            && latePublishes(frozen.epoch()).stream().allMatch(p -> p.acked().isDone()));

        appending.get(5, TimeUnit.MINUTES);
        List<Event> stored = pipeline.storedEvents();
        List<PublishedRecord> records = committed.awaitEvents(pipeline.topicPrefix(), pipeline.deadLetterTopic(), stored,
            Duration.ofSeconds(120));
        DeliveryCheck check = DeliveryCheck.of(stored, records);
        List<PublishedRecord> lateCommitted = records.stream()
            .filter(r -> r.epoch() == frozen.epoch() && r.sequence() >= frozen.sequence()).toList();
        System.out.printf("ExactlyOnceRelayIT zombie: frozen sending sequence %d at epoch %d; its sends after waking: "
                + "%s; committed from there on: %s; read_committed: %s; read_uncommitted: %s%n", frozen.sequence(),
            frozen.epoch(), latePublishes(frozen.epoch()).stream()
                .map(p -> p.provenance().sequence() + (p.acked().isCompletedExceptionally() ? " failed" : " acked"))
                .toList(), lateCommitted.size(), check, pipeline.check());

        assertThat(latePublishes(frozen.epoch())).as("the zombie sent on after waking").isNotEmpty();
        assertThat(lateCommitted).as("the zombie's records from the frozen one on, committed").isEmpty();
        assertThat(successor.status().role()).isNotEqualTo(RelayStatus.Role.FAILED);
        assertEveryEventOnceInOrder(check);
    }

    @Test
    void aLeaderFrozenBeforeItsCommitIsFencedWhenItWakes() throws Exception {
        zombie = new ChangeStreamRelay(pipeline.settings(), "zombie", new MongoChangeSource(
            pipeline.database().getCollection(Pipeline.EVENTS, RawBsonDocument.class), ChangeStreamTail.Settings.DEFAULT),
            SourceCopy.NONE, pause.publishers(publishers(mode())), pipeline.checkpoints(),
            pause.leases(new MongoLeaseStore(pipeline.database(), Pipeline.LEASES)),
            new MongoGapLog(pipeline.database(), Pipeline.GAPS));
        zombie.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> zombie.status().role() == RelayStatus.Role.LEADER);
        startRelay("successor");
        CompletableFuture<Void> appending = new AppendLoad(pipeline.store(), "patient", 200, 6_000, 3).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> zombie.status().published() >= 1_000);

        // Frozen after it checked its lease, before its commit: everything it sent since its last commit is acknowledged
        // by the broker and waits in its open transaction.
        pause.pauseInNextCheckpointWrite();
        pause.awaitFrozen(Duration.ofSeconds(30));
        CheckpointStore.Checkpoint frozen = pause.frozenCheckpoint();
        // The successor has led and committed once it has written MongoDB's checkpoint (written after each commit).
        await().atMost(Duration.ofSeconds(60)).until(() -> storedCheckpointEpoch() > frozen.epoch());
        pause.resume();
        await().atMost(Duration.ofSeconds(30)).until(() -> !lateWrites(frozen.epoch()).isEmpty());

        appending.get(5, TimeUnit.MINUTES);
        List<Event> stored = pipeline.storedEvents();
        List<PublishedRecord> records = new TopicRecords(pipeline.kafka().bootstrapServers(), true)
            .awaitEvents(pipeline.topicPrefix(), pipeline.deadLetterTopic(), stored, Duration.ofSeconds(120));
        DeliveryCheck check = DeliveryCheck.of(stored, records);
        System.out.printf("ExactlyOnceRelayIT commit: frozen committing sequence %d at epoch %d; its commits after "
            + "waking: %s; read_committed: %s; read_uncommitted: %s%n", frozen.sequence(), frozen.epoch(),
            lateWrites(frozen.epoch()), check, pipeline.check());

        assertThat(lateWrites(frozen.epoch())).as("the zombie's commits after waking").isNotEmpty()
            .allSatisfy(write -> assertThat(write.refused()).as("fenced: %s", write).isTrue());
        assertEveryEventOnceInOrder(check);
    }

    @Test
    void aBrokerRestartUnderLoadLeavesEveryEventOnceForACommittedReader() throws Exception {
        pipeline.withSettings(pipeline.settings().withMaxInFlight(500)); // the outage also exercises backpressure
        ChangeStreamRelay relay = startRelay("r1");
        startRelay("r2");
        CompletableFuture<Void> appending = new AppendLoad(pipeline.store(), "patient", 200, 6_000, 2).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> relay.status().published() >= 1_000 || appending.isDone());

        kafka.stop(); // transactions open and records unacknowledged: the relay's sends fail, its term restarts
        long commitsAtStop = commits();
        await().atMost(Duration.ofSeconds(60)).until(() -> commits() >= commitsAtStop + 500 || appending.isDone());
        kafka.restart();

        appending.get(5, TimeUnit.MINUTES);
        List<Event> stored = pipeline.storedEvents();
        List<PublishedRecord> records = new TopicRecords(kafka.bootstrapServers(), true)
            .awaitEvents(pipeline.topicPrefix(), pipeline.deadLetterTopic(), stored, Duration.ofSeconds(180));
        DeliveryCheck check = DeliveryCheck.of(stored, records);
        System.out.printf("ExactlyOnceRelayIT broker restart: read_committed: %s; read_uncommitted: %s%n", check,
            pipeline.check());

        assertEveryEventOnceInOrder(check);
    }

    @Test
    void aCopyInterruptedByALeaderKillIsCommittedOnceWhatTheSuccessorCopiesAgainWasNeverVisible() throws Exception {
        new AppendLoad(pipeline.store(), "patient", 300, 5_000, 2).runToEnd();
        WatchedCollection events = new WatchedCollection(pipeline.database().getName(), Pipeline.EVENTS,
            DocumentReaders.commits());
        MongoSourceCopy copy = new MongoSourceCopy(pipeline.client(), List.of(CopiedCollection.commits("events", events)));
        MongoChangeSource source = MongoChangeSource.of(pipeline.client(), List.of(events),
            ChangeStreamTail.Settings.DEFAULT);
        // The first term holds the copy's records past a sequence: its copy cannot complete, the kill lands mid-copy, and
        // its open transaction holds copied records its successor sends again.
        List<ChangeStreamRelay> relays = List.of(
            pipeline.startRelay("r1", source, copy, ignored -> firstTermHeld(publishers(mode()))),
            pipeline.startRelay("r2", source, copy, ignored -> firstTermHeld(publishers(mode()))));
        ChangeStreamRelay leader = awaitLeader(relays);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5)).until(holding::get);
        CheckpointStore.CopyProgress atKill = copyProgress();
        leader.kill();
        // Appended once the successor's copy is complete: an event appended while a copy runs may be both copied and
        // streamed (the copy reads the collection as it is; the stream goes on from the position noted before it), a
        // copy's own duplicate outside this mode's claim.
        await().atMost(Duration.ofSeconds(60)).until(() -> copyProgress().complete());
        new AppendLoad(pipeline.store(), "patient", 300, 600, 2).runToEnd();

        List<Event> stored = pipeline.storedEvents();
        List<PublishedRecord> records = new TopicRecords(pipeline.kafka().bootstrapServers(), true)
            .awaitEvents(pipeline.topicPrefix(), pipeline.deadLetterTopic(), stored, Duration.ofSeconds(120));
        DeliveryCheck check = DeliveryCheck.of(stored, records);
        System.out.printf("ExactlyOnceRelayIT copy: killed with %s checkpointed; read_committed: %s; "
            + "read_uncommitted: %s%n", atKill, check, pipeline.check());

        assertThat(atKill.complete()).as("killed mid-copy").isFalse();
        assertEveryEventOnceInOrder(check);
    }

    /**
     * Epoch 1 sends the copy's records up to this sequence and holds every later one: of the 5,000 stored events, the
     * copy's last batches are never acknowledged, so the copy cannot complete and the kill lands mid-copy, with what was
     * sent since the term's last commit (if any) in its open transaction.
     */
    private static final long HELD_AFTER = 3_500;
    /** Whether epoch 1 has held a record: the moment to kill it. */
    private final AtomicBoolean holding = new AtomicBoolean();

    private Supplier<RecordPublisher> firstTermHeld(Supplier<RecordPublisher> publishers) {
        return () -> new ForwardingRecordPublisher(publishers.get()) {
            @Override
            public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
                if (provenance.epoch() == 1 && provenance.sequence() > HELD_AFTER) {
                    holding.set(true);
                    return new CompletableFuture<>();
                }
                return super.publish(record, provenance);
            }
        };
    }

    private CheckpointStore.CopyProgress copyProgress() {
        return pipeline.checkpoints().load(pipeline.settings().name())
            .map(checkpoint -> checkpoint.copies().get("events")).orElse(new CheckpointStore.CopyProgress("", 0, false));
    }

    private long commits() {
        return pipeline.database().getCollection(Pipeline.EVENTS).countDocuments();
    }

    private long storedCheckpointEpoch() {
        Document lease = pipeline.leaseDocument();
        return lease != null && lease.get("checkpoint") instanceof Document checkpoint
            ? ((Number) checkpoint.get("epoch")).longValue() : 0L;
    }

    private List<Pause.LateWrite> lateWrites(long epoch) {
        return pause.lateCheckpointWrites().stream().filter(w -> w.epoch() == epoch).toList();
    }

    /** What a read_committed reader must see: every stored event, once, in each key's order, nothing unknown. */
    private static void assertEveryEventOnceInOrder(DeliveryCheck check) {
        assertThat(check.lost()).isZero();
        assertThat(check.unknown()).isZero();
        assertThat(check.duplicates()).as("duplicates a read_committed reader sees").isZero();
        assertThat(check.orderViolations()).isZero();
    }

    private ChangeStreamRelay startRelay(String instanceId) {
        return pipeline.startRelayOn(instanceId, publishers(mode()));
    }

    /** The relay's mode; its positions outside the test's topic prefix, which the checks read as events. */
    private ExactlyOnce mode() {
        return new ExactlyOnce(pipeline.topicPrefix() + "relay-" + pipeline.settings().name(),
            "positions-" + pipeline.topicPrefix() + "relay");
    }

    private KafkaPublishers publishers(ExactlyOnce mode) {
        KafkaPublishers made = new KafkaPublishers(pipeline.kafkaSettings(), mode);
        made.ensureTopic(pipeline.deadLetterTopic());
        publishers.add(made);
        return made;
    }

    private static ChangeStreamRelay awaitLeader(List<ChangeStreamRelay> relays) {
        List<ChangeStreamRelay> seen = List.copyOf(relays);
        AtomicReference<ChangeStreamRelay> leader = new AtomicReference<>();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            seen.stream().filter(r -> r.status().role() == RelayStatus.Role.LEADER).findFirst().ifPresent(leader::set);
            return leader.get() != null;
        });
        return leader.get();
    }

    private List<Pause.LatePublish> latePublishes(long epoch) {
        return pause.latePublishes().stream().filter(p -> p.provenance().epoch() == epoch).toList();
    }
}
