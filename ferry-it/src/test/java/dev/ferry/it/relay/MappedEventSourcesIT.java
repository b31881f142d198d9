package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.ForeignEventStore;
import dev.ferry.it.support.MappedRecordsCheck;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.it.support.TopicRecords;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.mapping.EventMapping;

/**
 * Event stores as users already have them, relayed by one relay through one change stream with Ferry's own store:
 * a {@code streamId: "patient-123"} store counting revisions from 0 (written by concurrent raw-driver writers with
 * optimistic concurrency), and a store in another database with a constant type and versions from 1. The leader is
 * killed abruptly mid-run. Every mappable event is published in order; the unmappable documents, and nothing else,
 * are dead-lettered with the field and the reason; the read model equals the fold of the foreign store. What each
 * mapped event must look like on the topic is written out by hand from the mappings, so a mapper bug fails the test.
 */
@Timeout(300)
class MappedEventSourcesIT extends PipelineFixture {

    private static final EventMapping STREAM_IDS = new EventMapping(
        EventMapping.AggregateType.Derived.bySeparator("streamId", "-"), null, "revision", 0, VersionRule.CONTIGUOUS,
        "type", null, "createdAt", "data", Map.of("correlationId", "meta.correlationId"));
    private static final EventMapping STAFF = new EventMapping(new EventMapping.AggregateType.Constant("practitioner"),
        "practitionerId", "v", 1, VersionRule.CONTIGUOUS, "kind", null, null, null, Map.of());

    @Test
    void foreignStoresAndFerrysOwnAreRelayedThroughALeaderKillAndOnlyUnmappableDocumentsAreDeadLettered()
        throws Exception {
        MongoCollection<Document> patients = pipeline.database().getCollection("patient_events");
        patients.createIndex(Indexes.ascending("streamId", "revision"), new IndexOptions().unique(true));
        MongoCollection<Document> staff = pipeline.client().getDatabase(pipeline.database().getName() + "_staff")
            .getCollection("staff_events");
        staff.createIndex(Indexes.ascending("practitionerId", "v"), new IndexOptions().unique(true));
        MongoChangeSource source = MongoChangeSource.of(pipeline.client(), List.of(
            new WatchedCollection(pipeline.database().getName(), "events", DocumentReaders.commits()),
            new WatchedCollection(pipeline.database().getName(), "patient_events",
                DocumentReaders.mappedEvents(STREAM_IDS, pipeline.kafkaSettings().topicNaming())),
            new WatchedCollection(staff.getNamespace().getDatabaseName(), "staff_events",
                DocumentReaders.mappedEvents(STAFF, pipeline.kafkaSettings().topicNaming()))),
            ChangeStreamTail.Settings.DEFAULT);
        Projection projection = TestProjections.counter("mapped_" + System.nanoTime());
        pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT);
        List<ChangeStreamRelay> relays = List.of(pipeline.startRelay("r1", source), pipeline.startRelay("r2", source));
        ChangeStreamRelay leader = RelayFailoverIT.awaitLeader(relays);

        ForeignEventStore foreign = new ForeignEventStore(patients);
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < 3; w++) {
            writers.add(CompletableFuture.runAsync(() -> foreign.appendRandomly(40, 700)));
        }
        writers.add(CompletableFuture.runAsync(() -> appendStaff(staff, 20, 400)));
        writers.add(new AppendLoad(pipeline.store(), "order", 30, 600, 1).start());
        Set<ObjectId> unmappable = Set.of(new ObjectId(), new ObjectId(), new ObjectId());
        Iterator<ObjectId> ids = unmappable.iterator();
        patients.insertOne(new Document("_id", ids.next()).append("streamId", "patient-x").append("type", "Changed")
            .append("createdAt", new Date()).append("data", new Document("n", -1))); // no revision
        patients.insertOne(new Document("_id", ids.next()).append("streamId", "nodash").append("type", "Changed")
            .append("revision", 0).append("createdAt", new Date()).append("data", new Document("n", -1)));
        staff.insertOne(new Document("_id", ids.next()).append("practitionerId", "pr-x").append("kind", "Changed")
            .append("v", "7"));

        await().atMost(Duration.ofSeconds(60)).until(() -> leader.status().published() >= 500);
        leader.kill();
        RelayFailoverIT.awaitLeader(relays.stream().filter(r -> r != leader).toList());
        CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get(5, TimeUnit.MINUTES); // seconds of load; a stuck writer fails here, not at the class timeout

        // Expected from a hand-written reading of the two mappings, never from Ferry's mapper.
        List<Event> patientEvents = ForeignEventStore.expected(patients, unmappable);
        List<Event> mappedEvents = new ArrayList<>(patientEvents);
        mappedEvents.addAll(expectedStaff(staff, unmappable));
        List<Event> expected = new ArrayList<>(mappedEvents);
        expected.addAll(pipeline.storedEvents());
        assertThat(expected).hasSize(3 * 700 + 400 + 600);
        await().atMost(Duration.ofSeconds(120)).until(() -> pipeline.topics()
            .read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
            .map(PublishedRecord::eventId).distinct().count() >= expected.size());
        DeliveryCheck delivery = DeliveryCheck.of(expected,
            pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic()));
        assertThat(delivery.lost()).isZero();
        assertThat(delivery.unknown()).isZero();
        assertThat(delivery.orderViolations()).isZero();
        assertThat(delivery.keyMismatches()).isZero();
        // Each mapped event's records carry exactly what the mapping says: topic, key, type, version, payload, ….
        MappedRecordsCheck fields = MappedRecordsCheck.of(mappedEvents, pipeline.topicPrefix(),
            pipeline.topics().readAllRaw(pipeline.topicPrefix()));
        assertThat(fields.missing()).as("mapped events with no record").isZero();
        assertThat(fields.checked()).isGreaterThanOrEqualTo(mappedEvents.size());
        assertThat(fields.mismatches()).as("%s fields differ from the mapping", fields.mismatchCount()).isEmpty();

        await().atMost(Duration.ofSeconds(30)).until(() -> deadLetters().size() >= 3);
        // Exactly the three unmappable documents (a failover may send one twice, with the same reason).
        assertThat(deadLetters().stream().distinct()).hasSize(3)
            .anySatisfy(reason -> assertThat(reason).contains("field 'revision': missing"))
            .anySatisfy(reason -> assertThat(reason).contains("field 'streamId': 'nodash' does not match"))
            .anySatisfy(reason -> assertThat(reason).contains("field 'v': expected an integer, got string"));

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
            .until(() -> ReadModelCheck.of(patientEvents, pipeline.database().getCollection(projection.name()))
                .readModelExact());
        ReadModelCheck readModel = ReadModelCheck.of(patientEvents, pipeline.database().getCollection(projection.name()));
        assertThat(readModel.duplicatesApplied()).isZero();
        assertThat(readModel.orderViolations()).isZero();
    }

    /** One writer per practitioner at a time, versions from 1, no timestamp field (the ObjectId's time stands in). */
    private static void appendStaff(MongoCollection<Document> events, int practitioners, int count) {
        long[] versions = new long[practitioners];
        for (int i = 0; i < count; i++) {
            int p = i % practitioners;
            events.insertOne(new Document("practitionerId", "pr-" + p).append("kind", "Changed")
                .append("v", ++versions[p]).append("note", "visit " + i));
        }
    }

    /**
     * The staff store's events, written out by hand from {@link #STAFF}: type {@code practitioner} (constant), id
     * {@code practitionerId}, version {@code v} as is (it starts at 1), event type {@code kind}, event id the
     * ObjectId {@code _id} as hex, timestamp the ObjectId's creation second (no timestamp field), payload the document
     * less those fields, no metadata.
     */
    private static List<Event> expectedStaff(MongoCollection<Document> staff, Set<ObjectId> unmappable) {
        List<Event> expected = new ArrayList<>();
        for (Document document : staff.find()) {
            ObjectId id = document.getObjectId("_id");
            if (unmappable.contains(id)) {
                continue;
            }
            assertThat(document.keySet()).containsExactlyInAnyOrder("_id", "practitionerId", "kind", "v", "note");
            expected.add(new Event(id.toHexString(), "practitioner", document.getString("practitionerId"),
                document.getLong("v"), document.getString("kind"), Instant.ofEpochSecond(id.getTimestamp()),
                new Document("note", document.getString("note")).toJson(), new EventMetadata(null, null)));
        }
        return expected;
    }

    private List<String> deadLetters() {
        return pipeline.topics().readRaw(pipeline.deadLetterTopic()).stream()
            .map(record -> TopicRecords.header(record, "ferry_reason")).toList();
    }
}
