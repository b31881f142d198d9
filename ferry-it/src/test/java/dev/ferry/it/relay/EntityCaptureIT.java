package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.wire.FerryHeaders;
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
            Writer writer = new Writer(patients, w, expected, done);
            writers.add(CompletableFuture.runAsync(writer::run));
        }
        await().atMost(Duration.ofSeconds(120)).until(() -> done.get() >= WRITERS * OPERATIONS_PER_WRITER / 3);
        leader.kill();
        RelayFailoverIT.awaitLeader(relays.stream().filter(r -> r != leader).toList());
        CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get();

        String topic = pipeline.kafkaSettings().topicNaming().topicFor(ENTITY);
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() -> {
            EntityTopic published = EntityTopic.read(pipeline.topics(), topic);
            return expected.entrySet().stream().allMatch(id ->
                published.streamedOperations(id.getKey()).size() >= id.getValue().size());
        });
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
            Document now = patients.find(Filters.eq("_id", idOf(key))).first();
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
        assertThat(EntityTopic.read(pipeline.topics(), topic).keys()).doesNotContain("large");
        assertThat(pipeline.topics().readRaw(pipeline.deadLetterTopic())).singleElement().satisfies(deadLetter -> {
            assertThat(TopicRecords.header(deadLetter, FerryHeaders.FERRY_REASON))
                .startsWith("entity patient id large: the create is about ").contains("bytes as a record, over the "
                    + "broker's 65536 (maxRecordBytes)");
            assertThat(new String(deadLetter.value(), java.nio.charset.StandardCharsets.UTF_8))
                .contains("\"document\":{\"_id\": \"large\"}").hasSizeLessThan(2_000);
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> leader.status().oversized() == 1);
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

    private static BsonDocument bson(Document document) {
        return BsonDocumentWrapper.asBsonDocument(document, MongoClientSettings.getDefaultCodecRegistry());
    }

    /** Writer w's ids: ObjectIds, strings and Int64s, so that every key form is exercised. */
    private static Object idOf(String key) {
        if (key.matches("[0-9a-f]{24}")) {
            return new ObjectId(key);
        } else if (key.startsWith("{\"$numberLong\"")) {
            return Long.parseLong(key.replaceAll("[^0-9]", ""));
        }
        return key;
    }

    /**
     * One writer and its own ids (so it knows each id's changes in order): random operations of every kind, and the
     * operations each id should show in the topic.
     */
    private static final class Writer {

        private final MongoCollection<Document> patients;
        private final Map<String, List<String>> expected;
        private final AtomicInteger done;
        private final Random random;
        private final List<Object> ids = new ArrayList<>();
        private final Map<Object, Long> sequence = new HashMap<>();
        private final Map<Object, Boolean> exists = new HashMap<>();

        Writer(MongoCollection<Document> patients, int index, Map<String, List<String>> expected, AtomicInteger done) {
            this.patients = patients;
            this.expected = expected;
            this.done = done;
            this.random = new Random(index);
            for (int i = 0; i < IDS_PER_WRITER; i++) {
                Object id = switch (i % 3) {
                    case 0 -> new ObjectId();
                    case 1 -> "w" + index + "-p" + i;
                    default -> (long) index * 1_000_000 + i;
                };
                ids.add(id);
                exists.put(id, false);
            }
        }

        void run() {
            for (int step = 0; step < OPERATIONS_PER_WRITER; step++) {
                Object id = ids.get(random.nextInt(ids.size()));
                if (!exists.get(id)) {
                    create(id);
                } else {
                    change(id);
                }
                done.incrementAndGet();
            }
        }

        private void create(Object id) {
            if (random.nextBoolean()) {
                patients.insertOne(document(id));
            } else {
                patients.bulkWrite(List.of(new InsertOneModel<>(document(id))));
            }
            exists.put(id, true);
            note(id, "create");
        }

        private void change(Object id) {
            int choice = random.nextInt(10);
            switch (choice) {
                case 0 -> patients.updateOne(Filters.eq("_id", id), bump(id));
                case 1 -> patients.replaceOne(Filters.eq("_id", id), document(id));
                case 2 -> patients.findOneAndUpdate(Filters.eq("_id", id), bump(id));
                case 3 -> patients.findOneAndReplace(Filters.eq("_id", id), document(id));
                case 4 -> {
                    patients.bulkWrite(List.of(new UpdateOneModel<>(Filters.eq("_id", id), bump(id)),
                        new UpdateOneModel<>(Filters.eq("_id", id), bump(id))));
                    note(id, "update");
                }
                case 5 -> {
                    Object other = ids.get(random.nextInt(ids.size()));
                    if (other.equals(id) || !exists.get(other)) {
                        patients.updateOne(Filters.eq("_id", id), bump(id));
                    } else {
                        patients.updateMany(Filters.in("_id", id, other), Updates.inc("n", 1));
                        note(other, "update");
                    }
                }
                case 6, 7 -> {
                    patients.deleteOne(Filters.eq("_id", id));
                    exists.put(id, false);
                    note(id, "delete");
                    return;
                }
                case 8 -> {
                    patients.findOneAndDelete(Filters.eq("_id", id));
                    exists.put(id, false);
                    note(id, "delete");
                    return;
                }
                default -> patients.updateOne(Filters.eq("_id", id),
                    Updates.set("tags", List.of("a", sequence.merge(id, 1L, Long::sum))));
            }
            note(id, "update");
        }

        private Document document(Object id) {
            long seq = sequence.merge(id, 1L, Long::sum);
            return new Document("_id", id).append("seq", seq).append("n", random.nextInt(1000))
                .append("name", "patient " + id).append("born", new Date(1_000_000_000_000L + seq))
                .append("balance", new Decimal128(seq)).append("tags", List.of("x", seq));
        }

        private org.bson.conversions.Bson bump(Object id) {
            return Updates.combine(Updates.set("seq", sequence.merge(id, 1L, Long::sum)), Updates.inc("n", 1));
        }

        private void note(Object id, String operation) {
            String key = id instanceof ObjectId objectId ? objectId.toHexString()
                : id instanceof Long number ? "{\"$numberLong\": \"" + number + "\"}" : (String) id;
            expected.computeIfAbsent(key, k -> new ArrayList<>()).add(operation);
        }
    }
}
