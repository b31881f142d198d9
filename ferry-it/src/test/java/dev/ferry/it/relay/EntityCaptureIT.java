package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.bson.BsonDocument;
import org.bson.BsonDocumentWrapper;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.it.support.CrudWriter;
import dev.ferry.it.support.EntityTopic;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.TopicRecords;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;
import dev.ferry.mongodb.entity.EntityChanges;
import dev.ferry.mongodb.entity.EntitySource;

/**
 * An entity collection's changes in its topic: every insert, update, replace and delete — by plain, findAndModify,
 * bulk and many-document writes — of a few hundred ids of three id types, written concurrently while the leader relay
 * is killed abruptly, appears in the entity's compacted topic under the id's key: per id, every change, in version
 * order, each delete followed by its tombstone, and the last record equal (BSON types included) to the document as it
 * is. Documents stored before the relay first led are copied first. A key two ids share, a change too large for a
 * record and a collection no source names each get their documented treatment.
 */
@Timeout(300)
class EntityCaptureIT extends PipelineFixture {

    private static final String ENTITY = "patient";
    private static final int WRITERS = 4;
    private static final int IDS_PER_WRITER = 75;
    private static final int OPERATIONS_PER_WRITER = 500;
    private static final int STORED_BEFORE = 50;

    @Test
    void everyChangeOfEveryIdReachesTheTopicInVersionOrderThroughALeaderKill() throws Exception {
        MongoCollection<Document> patients = pipeline.database().getCollection("patients");
        for (int i = 0; i < STORED_BEFORE; i++) {
            patients.insertOne(new Document("_id", "stored-" + i).append("n", i).append("seq", 0L));
        }
        List<ChangeStreamRelay> relays = startRelays(EntitySource.DEFAULT_MAX_RECORD_BYTES);
        ChangeStreamRelay leader = RelayFailoverIT.awaitLeader(relays);

        Map<String, List<String>> expected = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            CrudWriter writer = new CrudWriter(patients, w, IDS_PER_WRITER, OPERATIONS_PER_WRITER, expected, done);
            writers.add(CompletableFuture.runAsync(writer::run));
        }
        await().atMost(Duration.ofSeconds(120)).until(() -> done.get() >= WRITERS * OPERATIONS_PER_WRITER / 3);
        // The kill lands while streaming, after the stored documents' copy is checkpointed complete: a leader killed
        // mid-copy has its successor copy again from the last checkpointed page, by design (InitialCopyIT and
        // CopiesNeverGoBackInTimeIT kill mid-copy), which the one-copy-per-stored-document check below would count.
        await().atMost(Duration.ofSeconds(60)).until(this::copyCheckpointedComplete);
        leader.kill();
        RelayFailoverIT.awaitLeader(relays.stream().filter(r -> r != leader).toList());
        CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get();

        String topic = pipeline.kafkaSettings().topicNaming().topicFor(ENTITY);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
            EntityTopic published = EntityTopic.read(pipeline.topics(), topic);
            return expected.entrySet().stream().allMatch(id ->
                published.streamedOperations(id.getKey()).size() >= id.getValue().size());
        });
        awaitCheckpointCoversTheTopics();
        EntityTopic published = EntityTopic.read(pipeline.topics(), topic);

        assertThat(published.orderViolations()).isZero();
        assertThat(published.misplacedTombstones()).isZero();
        int changes = 0;
        for (Map.Entry<String, List<String>> id : expected.entrySet()) {
            assertThat(published.streamedOperations(id.getKey())).as("the changes of %s", id.getKey())
                .isEqualTo(id.getValue());
            changes += id.getValue().size();
        }
        assertThat(changes).isGreaterThanOrEqualTo(WRITERS * OPERATIONS_PER_WRITER);
        for (String key : expected.keySet()) {
            Document now = patients.find(Filters.eq("_id", CrudWriter.idOf(key))).first();
            assertThat(published.lastDocument(key)).as("the last record of %s", key)
                .isEqualTo(now == null ? null : bson(now));
        }
        for (int i = 0; i < STORED_BEFORE; i++) {
            List<EntityTopic.Entry> copied = published.applied("stored-" + i);
            assertThat(copied).as("stored-%d, copied", i).singleElement().satisfies(entry -> {
                assertThat(entry.copied()).isTrue();
                assertThat(entry.operation()).isEqualTo("create");
            });
        }
        assertThat(pipeline.topics().readRaw(pipeline.deadLetterTopic())).isEmpty();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG,
            pipeline.kafka().bootstrapServers()))) {
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            assertThat(admin.describeConfigs(List.of(resource)).all().get().get(resource)
                .get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
        }
    }

    @Test
    void aKeyTwoIdsShareIsDeadLetteredForBothAndTheOthersArePublished() {
        MongoCollection<Document> patients = pipeline.database().getCollection("patients");
        RelayFailoverIT.awaitLeader(startRelays(EntitySource.DEFAULT_MAX_RECORD_BYTES));
        ObjectId id = new ObjectId();

        patients.insertOne(new Document("_id", id).append("name", "by ObjectId"));
        patients.insertOne(new Document("_id", id.toHexString()).append("name", "by its hex"));
        patients.updateOne(Filters.eq("_id", id), Updates.set("name", "changed"));
        patients.updateOne(Filters.eq("_id", id.toHexString()), Updates.set("name", "changed"));
        patients.insertOne(new Document("_id", "p-1").append("name", "alone"));

        String topic = pipeline.kafkaSettings().topicNaming().topicFor(ENTITY);
        await().atMost(Duration.ofSeconds(60)).until(() ->
            EntityTopic.read(pipeline.topics(), topic).keys().contains("p-1"));
        EntityTopic published = EntityTopic.read(pipeline.topics(), topic);
        // The ObjectId's insert may have been published before its rival existed; from then on both are refused:
        // nothing of the string id, no update of either.
        assertThat(published.applied(id.toHexString())).allSatisfy(entry -> {
            assertThat(entry.operation()).isEqualTo("create");
            assertThat(entry.document().get("_id").isObjectId()).isTrue();
        });
        List<ConsumerRecord<String, byte[]>> deadLetters = pipeline.topics().readRaw(pipeline.deadLetterTopic());
        assertThat(deadLetters).hasSizeGreaterThanOrEqualTo(3).allSatisfy(deadLetter ->
            assertThat(TopicRecords.header(deadLetter, FerryHeaders.FERRY_REASON))
                .contains("the key '" + id.toHexString() + "'", "is also the key of another document's _id"));
        assertThat(published.applied("p-1")).isNotEmpty();
    }

    @Test
    void aChangeTooLargeForARecordIsDeadLetteredWithItsIdAndSizeAndCounted() {
        MongoCollection<Document> patients = pipeline.database().getCollection("patients");
        List<ChangeStreamRelay> relays = startRelays(64 * 1024);
        ChangeStreamRelay leader = RelayFailoverIT.awaitLeader(relays);

        patients.insertOne(new Document("_id", "large").append("scan", "x".repeat(100 * 1024)));
        patients.insertOne(new Document("_id", "small").append("name", "fits"));

        String topic = pipeline.kafkaSettings().topicNaming().topicFor(ENTITY);
        await().atMost(Duration.ofSeconds(60)).until(() ->
            EntityTopic.read(pipeline.topics(), topic).keys().contains("small"));
        awaitCheckpointCoversTheTopics();
        assertThat(EntityTopic.read(pipeline.topics(), topic).keys()).doesNotContain("large");
        // Dead-lettered once by the stream, and once more if the relay's initial copy read it too.
        List<ConsumerRecord<String, byte[]>> deadLetters = pipeline.topics().readRaw(pipeline.deadLetterTopic());
        assertThat(deadLetters).hasSizeBetween(1, 2).allSatisfy(deadLetter -> {
            assertThat(TopicRecords.header(deadLetter, FerryHeaders.FERRY_REASON))
                .startsWith("entity patient id large: the create is about ").contains("bytes as a record, over the "
                    + "broker's 65536 (maxRecordBytes)");
            assertThat(new String(deadLetter.value(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"document\":{\"_id\": \"large\"}").hasSizeLessThan(2_000);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> leader.status().oversized() == deadLetters.size());
    }

    @Test
    void aCollectionNoSourceNamesPublishesNothing() {
        RelayFailoverIT.awaitLeader(startRelays(EntitySource.DEFAULT_MAX_RECORD_BYTES));

        pipeline.database().getCollection("visits").insertOne(new Document("_id", "v-1"));
        pipeline.database().getCollection("visits").deleteOne(Filters.eq("_id", "v-1"));
        pipeline.database().getCollection("patients").insertOne(new Document("_id", "p-1"));

        String topic = pipeline.kafkaSettings().topicNaming().topicFor(ENTITY);
        await().atMost(Duration.ofSeconds(60)).until(() ->
            EntityTopic.read(pipeline.topics(), topic).keys().contains("p-1"));
        awaitCheckpointCoversTheTopics();
        // p-1 alone, possibly twice: read by the copy (the relay copies first) and streamed.
        EntityTopic published = EntityTopic.read(pipeline.topics(), topic);
        assertThat(published.keys()).containsExactly("p-1");
        assertThat(pipeline.topics().count(pipeline.topicPrefix())).as("records of every topic of this pipeline")
            .isEqualTo(published.records());
        assertThat(pipeline.topics().readRaw(pipeline.deadLetterTopic())).isEmpty();
    }

    private List<ChangeStreamRelay> startRelays(int maxRecordBytes) {
        String database = pipeline.database().getName();
        EntitySource source = new EntitySource("patients", ENTITY, database, "patients", maxRecordBytes, false);
        WatchedCollection watched = new WatchedCollection("patients", database, "patients",
            new EntityChanges(source, pipeline.database().getCollection("patients", BsonDocument.class)));
        MongoSourceCopy copy = new MongoSourceCopy(pipeline.client(),
            List.of(new CopiedCollection("patients", watched, List.of("_id"), true)));
        MongoChangeSource changes = MongoChangeSource.of(pipeline.client(), List.of(watched),
            ChangeStreamTail.Settings.DEFAULT);
        return List.of(pipeline.startRelay("r1", changes, copy), pipeline.startRelay("r2", changes, copy));
    }

    /**
     * Waits until MongoDB's checkpoint covers the highest sequence the topics hold now. A checkpoint is written only
     * once the broker acknowledged everything sent before it, so whatever the relay sent for an earlier change (a
     * record, a dead letter) is then below the end offsets, and a read to the end offsets that does not find it
     * shows it was never sent, not that it is still on its way.
     */
    private void awaitCheckpointCoversTheTopics() {
        long highest = pipeline.topics().readAllRaw(pipeline.topicPrefix()).values().stream().flatMap(List::stream)
            .map(record -> TopicRecords.header(record, FerryHeaders.FERRY_SEQUENCE)).filter(java.util.Objects::nonNull)
            .mapToLong(Long::parseLong).max().orElse(0);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            Document lease = pipeline.leaseDocument();
            return lease != null && lease.get("checkpoint") instanceof Document checkpoint
                && ((Number) checkpoint.get("sequence")).longValue() >= highest;
        });
    }

    /** Whether the relay's checkpoint records every source's copy as complete. */
    private boolean copyCheckpointedComplete() {
        Document lease = pipeline.leaseDocument();
        if (lease == null || !(lease.get("checkpoint") instanceof Document checkpoint)) {
            return false;
        }
        List<Document> copies = checkpoint.getList("copies", Document.class, List.of());
        return !copies.isEmpty() && copies.stream().allMatch(copy -> copy.getBoolean("complete", false));
    }

    private static BsonDocument bson(Document document) {
        return BsonDocumentWrapper.asBsonDocument(document, MongoClientSettings.getDefaultCodecRegistry());
    }

}
