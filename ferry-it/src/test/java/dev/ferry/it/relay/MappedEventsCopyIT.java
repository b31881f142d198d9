package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.ForeignEventStore;
import dev.ferry.it.support.MappedRecordsCheck;
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
import dev.ferry.mongodb.mapping.EventMapping;

/**
 * Copy, then stream, for an event store in the users' own schema: events stored before the relay first led — more
 * than the embedded oplog still holds — are copied in (streamId, revision) order while the users' service keeps
 * appending; the leader is killed mid-copy and its successor continues from the checkpointed progress. Every event
 * is published, none out of order, and the read model equals the fold.
 */
@Timeout(300)
class MappedEventsCopyIT extends PipelineFixture {

    private static final EventMapping STREAM_IDS = new EventMapping(
        EventMapping.AggregateType.Derived.bySeparator("streamId", "-"), null, "revision", 0, VersionRule.CONTIGUOUS,
        "type", null, "createdAt", "data", Map.of("correlationId", "meta.correlationId"));
    private static final int STREAMS = 60;
    private static final int REVISIONS = 100;
    private static final int APPENDED_DURING = 600;

    /** Fewer oplog entries than the stored events: only a copy can publish them all. */
    @Override
    protected int oplogCapacity() {
        return 3_000;
    }

    @Test
    void storedEventsOfAUsersSchemaAreCopiedThroughALeaderKillThenStreamedWithoutLossOrReordering() throws Exception {
        MongoCollection<Document> patients = pipeline.database().getCollection("patient_events");
        patients.createIndex(Indexes.ascending("streamId", "revision"), new IndexOptions().unique(true));
        ForeignEventStore foreign = new ForeignEventStore(patients);
        foreign.storeHistory(STREAMS, REVISIONS);

        WatchedCollection watched = new WatchedCollection(pipeline.database().getName(), "patient_events",
            DocumentReaders.mappedEvents(STREAM_IDS, pipeline.kafkaSettings().topicNaming()));
        // The order the configuration gives a streamId store (RelayedSources): the stream field, then the version.
        MongoSourceCopy copy = new MongoSourceCopy(pipeline.client(),
            List.of(new CopiedCollection("patient_events", watched, List.of("streamId", "revision"), false)));
        MongoChangeSource source = MongoChangeSource.of(pipeline.client(), List.of(watched), ChangeStreamTail.Settings.DEFAULT);
        Projection projection = TestProjections.counter("mapped_copy_" + System.nanoTime());
        pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT);
        List<ChangeStreamRelay> relays = List.of(pipeline.startRelay("r1", source, copy),
            pipeline.startRelay("r2", source, copy));
        ChangeStreamRelay leader = RelayFailoverIT.awaitLeader(relays);
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 2; w++) {
            writers.add(CompletableFuture.runAsync(() -> foreign.appendRandomly(STREAMS, APPENDED_DURING / 2)));
        }

        // Killed mid-copy, once some of its progress is checkpointed.
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
            .until(() -> copyProgress().copied() > 0);
        leader.kill();
        CheckpointStore.CopyProgress atKill = copyProgress();
        RelayFailoverIT.awaitLeader(relays.stream().filter(r -> r != leader).toList());
        CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get(5, TimeUnit.MINUTES); // seconds of load; a stuck writer fails here, not at the class timeout

        // Expected from a hand-written reading of the mapping, never from Ferry's mapper.
        List<Event> expected = ForeignEventStore.expected(patients, Set.of());
        assertThat(expected).hasSize(STREAMS * REVISIONS + APPENDED_DURING);
        await().atMost(Duration.ofSeconds(120)).until(() -> pipeline.topics()
            .read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
            .map(PublishedRecord::eventId).distinct().count() >= expected.size());
        DeliveryCheck delivery = DeliveryCheck.of(expected,
            pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic()));
        assertThat(atKill.complete()).as("killed mid-copy").isFalse();
        assertThat(delivery.lost()).isZero();
        assertThat(delivery.unknown()).isZero();
        assertThat(delivery.orderViolations()).isZero();
        assertThat(delivery.keyMismatches()).isZero();
        // Copied and streamed alike, each record carries exactly what the mapping says.
        MappedRecordsCheck fields = MappedRecordsCheck.of(expected, pipeline.topicPrefix(),
            pipeline.topics().readAllRaw(pipeline.topicPrefix()));
        assertThat(fields.missing()).as("events with no record").isZero();
        assertThat(fields.mismatches()).as("%s fields differ from the mapping", fields.mismatchCount()).isEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> copyProgress().complete());

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
            .until(() -> ReadModelCheck.of(expected, pipeline.database().getCollection(projection.name()))
                .readModelExact());
        ReadModelCheck readModel = ReadModelCheck.of(expected, pipeline.database().getCollection(projection.name()));
        assertThat(readModel.duplicatesApplied()).isZero();
        assertThat(readModel.orderViolations()).isZero();
    }

    private CheckpointStore.CopyProgress copyProgress() {
        return pipeline.checkpoints().load(pipeline.settings().name())
            .map(checkpoint -> checkpoint.copies().get("patient_events"))
            .orElse(new CheckpointStore.CopyProgress("", 0, false));
    }
}
