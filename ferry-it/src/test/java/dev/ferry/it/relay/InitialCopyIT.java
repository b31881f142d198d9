package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.projection.Projection;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.ForwardingRecordPublisher;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;

/**
 * Copy, then stream: commits stored before the relay first led — more than the embedded oplog still holds (about
 * 5,000 commits in five pages, the oplog keeps 3,000 entries) — are
 * copied in per-aggregate order while writers keep appending; the leader is killed mid-copy and its successor
 * continues from the checkpointed copy progress; then the stream continues from the position noted before the copy.
 * Every event is published, none out of order, and the read model equals the fold.
 */
@Timeout(300)
class InitialCopyIT extends PipelineFixture {

    private static final int STORED = 10_000;
    private static final int APPENDED_DURING = 600;

    /** Fewer oplog entries than the stored commits: only a copy can publish them all. */
    @Override
    protected int oplogCapacity() {
        return 3_000;
    }

    @Test
    void storedCommitsAreCopiedThroughALeaderKillThenStreamedWithoutLossOrReordering() throws Exception {
        new AppendLoad(pipeline.store(), "patient", 300, STORED, 2).runToEnd();
        List<BsonDocument> preloaded = pipeline.database().getCollection(Pipeline.EVENTS, BsonDocument.class).find()
            .into(new ArrayList<>());
        WatchedCollection events = new WatchedCollection(pipeline.database().getName(), Pipeline.EVENTS,
            DocumentReaders.commits());
        MongoSourceCopy copy = new MongoSourceCopy(pipeline.client(), List.of(CopiedCollection.commits("events", events)));
        MongoChangeSource source = MongoChangeSource.of(pipeline.client(), List.of(events), ChangeStreamTail.Settings.DEFAULT);
        Projection projection = TestProjections.counter("copied_" + System.nanoTime());
        pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT);
        // The first term sends only the copy's first records, then holds the rest (neither sent nor acknowledged): its
        // copy is then checkpointed part-way and cannot complete, so the kill below always lands mid-copy.
        List<ChangeStreamRelay> relays = List.of(pipeline.startRelay("r1", source, copy, InitialCopyIT::firstTermHeld),
            pipeline.startRelay("r2", source, copy, InitialCopyIT::firstTermHeld));
        ChangeStreamRelay leader = RelayFailoverIT.awaitLeader(relays);
        CompletableFuture<Void> appending = new AppendLoad(pipeline.store(), "patient", 300, APPENDED_DURING, 2).start();

        // Killed mid-copy, once some of its progress is checkpointed (the held records keep the copy from completing).
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
            .until(() -> copyProgress().copied() > 0);
        leader.kill();
        long epochAtKill = ((Number) pipeline.leaseDocument().get("epoch")).longValue();
        CheckpointStore.CopyProgress atKill = copyProgress();
        RelayFailoverIT.awaitLeader(relays.stream().filter(r -> r != leader).toList());
        appending.get();

        int stored = pipeline.storedEvents().size();
        assertThat(stored).isEqualTo(STORED + APPENDED_DURING);
        await().atMost(Duration.ofSeconds(120)).until(() -> pipeline.topics()
            .read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
            .map(PublishedRecord::eventId).distinct().count() >= stored);
        DeliveryCheck delivery = pipeline.check();
        assertThat(delivery.lost()).isZero();
        assertThat(delivery.unknown()).isZero();
        assertThat(delivery.orderViolations()).isZero();
        assertThat(atKill.complete()).as("killed mid-copy").isFalse();
        await().atMost(Duration.ofSeconds(30)).until(() -> copyProgress().complete());
        // Stored commits up to the checkpointed copy position are never copied again by a later epoch.
        BsonDocument position = BsonDocument.parse(atKill.position());
        Set<String> copiedBeforeKill = preloaded.stream().filter(commit -> notAfter(commit, position))
            .flatMap(commit -> commit.getArray("events").stream().map(e -> e.asDocument().getString("eventId").getValue()))
            .collect(Collectors.toSet());
        assertThat(copiedBeforeKill).hasSizeGreaterThanOrEqualTo((int) atKill.copied());
        assertThat(pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
            .filter(record -> record.epoch() > epochAtKill && copiedBeforeKill.contains(record.eventId())))
            .as("the successor continued the copy from its checkpoint").isEmpty();

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
            .until(() -> pipeline.checkReadModel(projection).readModelExact());
        ReadModelCheck readModel = pipeline.checkReadModel(projection);
        assertThat(readModel.duplicatesApplied()).isZero();
        assertThat(readModel.orderViolations()).isZero();
    }

    /** The commit's copy key (aggregateType, aggregateId, firstVersion) is at or before {@code position}'s. */
    private static boolean notAfter(BsonDocument commit, BsonDocument position) {
        int byType = commit.getString("aggregateType").getValue().compareTo(position.getString("aggregateType").getValue());
        if (byType != 0) {
            return byType < 0;
        }
        int byId = commit.getString("aggregateId").getValue().compareTo(position.getString("aggregateId").getValue());
        if (byId != 0) {
            return byId < 0;
        }
        return commit.getNumber("firstVersion").longValue() <= position.getNumber("firstVersion").longValue();
    }

    private CheckpointStore.CopyProgress copyProgress() {
        return pipeline.checkpoints().load(pipeline.settings().name())
            .map(checkpoint -> checkpoint.copies().get("events")).orElse(new CheckpointStore.CopyProgress("", 0, false));
    }

    /** Records the first term sends before holding the rest: a few of the copy's batches (1,000 commits each). */
    private static final long SENT_BEFORE_HOLDING = 2_500;

    /** Epoch 1's publishers send its first records and hold every later one: never sent, never acknowledged. */
    private static Supplier<RecordPublisher> firstTermHeld(Supplier<RecordPublisher> publishers) {
        return () -> new ForwardingRecordPublisher(publishers.get()) {
            @Override
            public CompletableFuture<Void> publish(Prepared record, Provenance provenance) {
                if (provenance.epoch() == 1 && provenance.sequence() > SENT_BEFORE_HOLDING) {
                    return new CompletableFuture<>(); // held: a sent prefix only, so no key goes back later
                }
                return super.publish(record, provenance);
            }
        };
    }
}
