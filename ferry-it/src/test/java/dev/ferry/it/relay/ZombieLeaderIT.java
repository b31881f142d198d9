package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.model.Filters;

import dev.ferry.core.event.Event;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.Pause;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.relay.MongoGapLog;

/**
 * A leader frozen (as by a stop-the-world pause) with work in flight — inside a checkpoint write, or inside a publish,
 * after it checked its lease and before the write landed — for longer than its lease TTL is deposed. Once woken it
 * goes on with what it was doing, and that is all: its checkpoint write is refused (MongoDB never holds it; the
 * checkpoint never moves back), the record it was sending lands as a duplicate of one its successor already published
 * (never ahead of or behind its key's order), and it publishes nothing beyond the change it was sending. Evidence
 * comes from MongoDB (the test's own change stream on the lease collection) and the topics (a plain consumer).
 */
@Timeout(300)
class ZombieLeaderIT extends PipelineFixture {

    private final Pause pause = new Pause();
    private CheckpointWrites checkpointWrites;
    private ChangeStreamRelay zombie;
    private KafkaPublishers zombiePublishers;

    @BeforeEach
    void watchCheckpoints() {
        checkpointWrites = new CheckpointWrites(pipeline.database().getCollection(Pipeline.LEASES),
            pipeline.settings().name());
    }

    @AfterEach
    void stopZombie() {
        pause.resume(); // a thread still held at the gate would hold the kill up
        if (zombie != null) {
            zombie.kill();
        }
        if (zombiePublishers != null) {
            zombiePublishers.close();
        }
        checkpointWrites.close();
    }

    @Test
    void aLeaderFrozenInACheckpointWriteHasItRefusedWhenItWakes() throws Exception {
        startZombie();
        ChangeStreamRelay successor = pipeline.startRelay("successor");
        CompletableFuture<Void> appending = new AppendLoad(pipeline.store(), "patient", 200, 6_000, 3).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> zombie.status().published() >= 1_000);

        pause.pauseInNextCheckpointWrite();
        pause.awaitFrozen(Duration.ofSeconds(30));
        CheckpointStore.Checkpoint frozen = pause.frozenCheckpoint();
        long zombieEpoch = frozen.epoch();
        // Mid-work, seen from outside: the write would move MongoDB's checkpoint, and the topics hold more records
        // than it covers (published, not yet checkpointed).
        long storedSequence = storedCheckpointSequence();
        long recordsAtFreeze = pipeline.topics().count(pipeline.topicPrefix());
        assertThat(frozen.sequence()).as("the frozen write moves the checkpoint (else the pause fell outside work)")
            .isGreaterThan(storedSequence);
        assertThat(recordsAtFreeze).as("records published beyond MongoDB's checkpoint at the freeze")
            .isGreaterThan(storedSequence);

        // The successor takes over and checkpoints in a newer epoch, as MongoDB records it.
        await().atMost(Duration.ofSeconds(60)).until(() -> checkpointWrites.highestEpoch() > zombieEpoch);
        pause.resume();
        await().atMost(Duration.ofSeconds(30)).until(() -> !lateWrites(zombieEpoch).isEmpty());

        appending.get(5, TimeUnit.MINUTES); // seconds of load; a stuck writer fails here, not at the class timeout
        List<Event> stored = pipeline.storedEvents();
        pipeline.topics().awaitEvents(pipeline.topicPrefix(), pipeline.deadLetterTopic(), stored, Duration.ofSeconds(120));
        checkpointWrites.catchUp(Duration.ofSeconds(30));
        DeliveryCheck check = pipeline.check();
        System.out.printf("ZombieLeaderIT checkpoint: frozen in the write of sequence %d at epoch %d (MongoDB's at %d, "
                + "%d records in the topics); its writes after waking: %s; checkpoint writes seen: %d; %s%n",
            frozen.sequence(), zombieEpoch, storedSequence, recordsAtFreeze, lateWrites(zombieEpoch),
            checkpointWrites.writes().size(), check);

        // Of the frozen epoch: under load the zombie may legitimately lead again later, in a new epoch.
        assertThat(lateWrites(zombieEpoch)).as("the zombie's checkpoint writes after waking").isNotEmpty()
            .allSatisfy(write -> assertThat(write.refused()).as("refused: %s", write).isTrue())
            .first().satisfies(write -> assertThat(write.sequence()).isEqualTo(frozen.sequence()));
        assertThat(checkpointWrites.writes()).as("checkpoint writes MongoDB applied")
            .noneMatch(w -> w.epoch() == zombieEpoch && w.sequence() == frozen.sequence());
        assertThat(checkpointWrites.movedBack()).as("checkpoint writes that moved it back").isEmpty();
        assertThat(checkpointWrites.highestEpoch()).isGreaterThan(zombieEpoch);
        assertThat(successor.status().role()).isNotEqualTo(RelayStatus.Role.FAILED);
        assertThat(check.lost()).isZero();
        assertThat(check.unknown()).isZero();
        assertThat(check.orderViolations()).isZero();
    }

    @Test
    void aLeaderFrozenInAPublishSendsOnlyThatChangeWhenItWakesAsADuplicate() throws Exception {
        startZombie();
        pipeline.startRelay("successor");
        CompletableFuture<Void> appending = new AppendLoad(pipeline.store(), "patient", 200, 6_000, 3).start();
        await().atMost(Duration.ofSeconds(60)).until(() -> zombie.status().published() >= 1_000);

        pause.pauseInNextPublish();
        pause.awaitFrozen(Duration.ofSeconds(30));
        RecordPublisher.Provenance frozen = pause.frozenPublish();
        Event frozenEvent = (Event) pause.frozenRecord();
        // In flight, seen from outside: the record is permitted and not in the topics (read to their end offsets).
        assertThat(zombieRecords(frozen.epoch(), frozen.sequence())).as("the frozen record, before waking").isEmpty();

        // The successor takes over and publishes past the frozen record (sequences are stable across failovers).
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
            .until(() -> pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
                .anyMatch(r -> r.epoch() > frozen.epoch() && r.sequence() >= frozen.sequence()));
        pause.resume();
        await().atMost(Duration.ofSeconds(30)).until(() -> !latePublishes(frozen.epoch()).isEmpty()
            && latePublishes(frozen.epoch()).stream().allMatch(p -> p.acked().isDone()));

        appending.get(5, TimeUnit.MINUTES); // seconds of load; a stuck writer fails here, not at the class timeout
        List<Event> stored = pipeline.storedEvents();
        List<PublishedRecord> records = pipeline.topics().awaitEvents(pipeline.topicPrefix(), pipeline.deadLetterTopic(),
            stored, Duration.ofSeconds(120));
        Set<String> frozenCommit = commitOf(frozenEvent);
        List<PublishedRecord> lateRecords = records.stream()
            .filter(r -> r.epoch() == frozen.epoch() && r.sequence() >= frozen.sequence()).toList();
        DeliveryCheck check = DeliveryCheck.of(stored, records);
        System.out.printf("ZombieLeaderIT publish: frozen sending sequence %d at epoch %d (event %s of a commit of %d); "
                + "publishes after waking: %s; its records from there on: %s; %s%n", frozen.sequence(), frozen.epoch(),
            frozenEvent.eventId(), frozenCommit.size(), latePublishes(frozen.epoch()).stream()
                .map(p -> p.provenance().sequence() + (p.acked().isCompletedExceptionally() ? " failed" : " acked"))
                .toList(), lateRecords.stream().map(r -> r.sequence() + "@" + r.offset()).toList(), check);

        assertThat(latePublishes(frozen.epoch())).as("the zombie's publishes after waking").isNotEmpty()
            .first().satisfies(p -> assertThat(p.provenance()).isEqualTo(frozen));
        assertThat(latePublishes(frozen.epoch())).as("only the change it was permitted to send")
            .hasSizeLessThanOrEqualTo(frozenCommit.size());
        assertThat(lateRecords).as("the zombie's records from the frozen one on: the frozen change's only")
            .isNotEmpty().allSatisfy(r -> assertThat(frozenCommit).contains(r.eventId()));
        for (PublishedRecord late : lateRecords) {
            assertThat(records).as("an earlier record of %s by the successor in its partition", late)
                .anyMatch(r -> r.eventId().equals(late.eventId()) && r.topic().equals(late.topic())
                    && r.partition() == late.partition() && r.offset() < late.offset() && r.epoch() > late.epoch());
        }
        assertThat(check.lost()).isZero();
        assertThat(check.unknown()).as("a zombie emits only events that exist in the store").isZero();
        assertThat(check.orderViolations()).as("its late records are duplicates, not records out of order").isZero();
    }

    /** The zombie, wired as {@link Pipeline#startRelay} does, with its lease calls, checkpoints and publishes pausable. */
    private void startZombie() {
        zombiePublishers = new KafkaPublishers(pipeline.kafkaSettings());
        zombiePublishers.ensureTopic(pipeline.deadLetterTopic());
        zombie = new ChangeStreamRelay(pipeline.settings(), "zombie", new MongoChangeSource(
            pipeline.database().getCollection(Pipeline.EVENTS, RawBsonDocument.class), ChangeStreamTail.Settings.DEFAULT),
            SourceCopy.NONE, pause.publishers(zombiePublishers), pause.checkpoints(pipeline.checkpoints()),
            pause.leases(new MongoLeaseStore(pipeline.database(), Pipeline.LEASES)),
            new MongoGapLog(pipeline.database(), Pipeline.GAPS));
        zombie.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> zombie.status().role() == RelayStatus.Role.LEADER);
    }

    private List<Pause.LateWrite> lateWrites(long epoch) {
        return pause.lateCheckpointWrites().stream().filter(w -> w.epoch() == epoch).toList();
    }

    private List<Pause.LatePublish> latePublishes(long epoch) {
        return pause.latePublishes().stream().filter(p -> p.provenance().epoch() == epoch).toList();
    }

    private long storedCheckpointSequence() {
        Document lease = pipeline.leaseDocument();
        return lease != null && lease.get("checkpoint") instanceof Document checkpoint
            ? ((Number) checkpoint.get("sequence")).longValue() : 0L;
    }

    private List<PublishedRecord> zombieRecords(long epoch, long sequence) {
        return pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
            .filter(r -> r.epoch() == epoch && r.sequence() == sequence).toList();
    }

    /** The event ids of the commit holding {@code event}, read from the event store's collection. */
    private Set<String> commitOf(Event event) {
        Document commit = pipeline.database().getCollection(Pipeline.EVENTS)
            .find(Filters.eq("events.eventId", event.eventId())).first();
        assertThat(commit).as("the commit of %s", event.eventId()).isNotNull();
        Set<String> ids = new HashSet<>();
        for (Document e : commit.getList("events", Document.class, new ArrayList<>())) {
            ids.add(e.getString("eventId"));
        }
        return ids;
    }
}
