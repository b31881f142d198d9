package dev.ferry.it.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.CreateCollectionOptions;
import com.mongodb.client.model.ValidationOptions;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;

import dev.ferry.core.event.Event;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.NewEvent;
import dev.ferry.engine.wire.EventJsonDecoder;
import dev.ferry.it.support.BsonSchemaCheck;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.TopicRecords;

/**
 * The commit document is a language-neutral contract ({@code contracts/commit.bson-schema.json} for MongoDB,
 * {@code contracts/commit.schema.json} over canonical Extended JSON): whatever the Java store writes validates
 * against both; a commit written through the raw driver by following docs/concepts.md alone, with int32 versions as the
 * Node.js driver writes them, is relayed exactly like an API append; a document violating the contract is
 * dead-lettered with the reason.
 */
@Timeout(180)
class CommitContractIT extends PipelineFixture {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    private final BsonDocument bsonSchema = BsonDocument.parse(read("commit.bson-schema.json")).getDocument("$jsonSchema");
    private final JsonSchema jsonSchema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
        .getSchema(read("commit.schema.json"));

    @Test
    void everyCommitTheJavaStoreWritesValidatesAgainstBothSchemas() throws IOException {
        pipeline.store().append("patient", "p-1", 0, List.of(new NewEvent("Registered", "{\"name\": \"Ada\", \"age\": 36}")));
        pipeline.store().append("patient", "p-1", 1, List.of(new NewEvent("Moved", "{\"ward\": {\"id\": 3, \"tags\": [\"a\"]}}",
            new EventMetadata("c-1", "e-0")), new NewEvent("Noted", "{}"), new NewEvent("Noted", "{\"x\": null}")));
        pipeline.store().append("order", "o-1", 0, List.of(new NewEvent("Placed", "{\"total\": 12.5, \"big\": 12345678901}")));

        List<BsonDocument> commits = pipeline.database().getCollection(Pipeline.EVENTS, BsonDocument.class).find()
            .into(new java.util.ArrayList<>());
        assertThat(commits).hasSize(3);
        for (BsonDocument commit : commits) {
            assertThat(BsonSchemaCheck.violations(bsonSchema, commit)).as(commit.toJson()).isEmpty();
            assertThat(jsonSchemaErrors(commit)).as(commit.toJson(CANONICAL)).isEmpty();
        }
    }

    @Test
    void aRawDriverCommitFollowingTheReadmeWithInt32VersionsIsRelayedLikeAnApiAppend() throws IOException {
        pipeline.startRelay("r1");
        List<Event> appended = pipeline.store().append("patient", "api-1", 0, List.of(new NewEvent("Registered", "{\"n\": 1}"),
            new NewEvent("Moved", "{\"n\": 2}", new EventMetadata("c-1", null))));
        Instant at = Instant.parse("2026-12-01T10:00:00.123Z");
        // docs/concepts.md's append, step by step, as another language's service would do it (int32 versions).
        MongoCollection<Document> commits = pipeline.database().getCollection(Pipeline.EVENTS);
        assertThat(commits.find(new Document("aggregateType", "patient").append("aggregateId", "raw-1")
            .append("lastVersion", 0)).first()).isNull(); // expectedVersion 0: a new aggregate, nothing to continue
        Document raw = new Document("aggregateType", "patient").append("aggregateId", "raw-1").append("firstVersion", 1)
            .append("lastVersion", 2).append("committedAt", Date.from(at)).append("events", List.of(
                new Document("eventId", "raw-e-1").append("version", 1).append("eventType", "Registered")
                    .append("timestamp", Date.from(at)).append("payload", new Document("n", 1))
                    .append("metadata", new Document("correlationId", null).append("causationId", null)),
                new Document("eventId", "raw-e-2").append("version", 2).append("eventType", "Moved")
                    .append("timestamp", Date.from(at)).append("payload", new Document("n", 2))
                    .append("metadata", new Document("correlationId", "c-1").append("causationId", null))));
        BsonDocument asStored = raw.toBsonDocument();
        assertThat(BsonSchemaCheck.violations(bsonSchema, asStored)).isEmpty();
        assertThat(jsonSchemaErrors(asStored)).isEmpty();
        assertThat(asStored.get("firstVersion").isInt32()).isTrue();
        commits.insertOne(raw);

        String topic = pipeline.topicPrefix() + "patient";
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.topics().readRaw(topic).size() >= 4);
        List<ConsumerRecord<String, byte[]>> records = pipeline.topics().readRaw(topic);
        EventJsonDecoder decoder = new EventJsonDecoder();
        List<Event> viaApi = records.stream().filter(r -> r.key().equals("api-1")).map(r -> decoder.decode(r.value())).toList();
        List<Event> viaDriver = records.stream().filter(r -> r.key().equals("raw-1")).map(r -> decoder.decode(r.value()))
            .toList();
        assertThat(viaApi).isEqualTo(appended);
        assertThat(viaDriver).containsExactly(
            new Event("raw-e-1", "patient", "raw-1", 1, "Registered", at, "{\"n\": 1}", EventMetadata.NONE),
            new Event("raw-e-2", "patient", "raw-1", 2, "Moved", at, "{\"n\": 2}", new EventMetadata("c-1", null)));
        assertThat(headerNames(records, "raw-1")).isEqualTo(headerNames(records, "api-1"));
    }

    @Test
    void aDocumentViolatingTheContractIsDeadLetteredWithTheReason() throws IOException {
        pipeline.startRelay("r1");
        Document violating = new Document("aggregateType", "patient").append("aggregateId", "bad-1").append("firstVersion", 1)
            .append("lastVersion", 1).append("committedAt", new Date()).append("events", List.of(new Document("eventId", "x")
                .append("version", "1").append("eventType", "T").append("timestamp", new Date()).append("payload", new Document())));
        assertThat(BsonSchemaCheck.violations(bsonSchema, violating.toBsonDocument()))
            .containsExactly("$.events[0].version: expected bsonType [int, long], got string");
        assertThat(jsonSchemaErrors(violating.toBsonDocument())).anySatisfy(error -> assertThat(error).contains("version"));

        pipeline.database().getCollection(Pipeline.EVENTS).insertOne(violating);

        await().atMost(Duration.ofSeconds(60)).until(() -> !pipeline.topics().readRaw(pipeline.deadLetterTopic()).isEmpty());
        assertThat(TopicRecords.header(pipeline.topics().readRaw(pipeline.deadLetterTopic()).get(0), "ferry_reason"))
            .contains("version");
    }

    /**
     * Issue 27's cases, written with the raw driver as another team's service would: a type the topic cannot carry,
     * {@code committedAt} as a string, a {@code lastVersion} the events do not reach, a reserved type (the dead-letter
     * topic's) and a commit larger than a Kafka record. Each costs one dead letter naming its field and rule; the valid
     * commit after each is published; the relay never restarts.
     */
    @Test
    void eachBadCommitCostsOneDeadLetterNamingItsFieldAndTheCommitAfterItIsPublished() {
        ChangeStreamRelay relay = pipeline.startRelay("r1");
        MongoCollection<Document> commits = pipeline.database().getCollection(Pipeline.EVENTS);
        String reserved = pipeline.deadLetterTopic().substring(pipeline.topicPrefix().length());
        List<Document> bad = List.of(
            rawCommit("bad type!", "b-1", 1, new Date()),
            rawCommit("patient", "b-2", 1, new Date()).append("committedAt", "2026-12-06T10:00:00Z"),
            rawCommit("patient", "b-3", 1, new Date()).append("lastVersion", 3),
            rawCommit(reserved, "b-4", 1, new Date()),
            rawCommit("patient", "b-5", 1, new Date()).append("events", List.of(rawEvent("b-5-e1", 1, new Date())
                .append("payload", new Document("blob", "x".repeat(2 * 1024 * 1024))))));
        for (int i = 0; i < bad.size(); i++) {
            commits.insertOne(bad.get(i));
            commits.insertOne(rawCommit("patient", "good-" + i, 1, new Date()));
        }

        String topic = pipeline.topicPrefix() + "patient";
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.topics().readRaw(topic).size() >= bad.size()
            && pipeline.topics().readRaw(pipeline.deadLetterTopic()).size() >= bad.size());
        assertThat(pipeline.topics().readRaw(topic)).extracting(ConsumerRecord::key)
            .containsExactlyInAnyOrder("good-0", "good-1", "good-2", "good-3", "good-4"); // keys spread over partitions
        List<String> reasons = pipeline.topics().readRaw(pipeline.deadLetterTopic()).stream()
            .map(record -> TopicRecords.header(record, "ferry_reason")).toList();
        assertThat(reasons).hasSize(bad.size());
        assertThat(reasons.get(0)).contains("aggregateType").contains("bad type!");
        assertThat(reasons.get(1)).contains("committedAt").contains("date");
        assertThat(reasons.get(2)).contains("lastVersion").contains("expected");
        assertThat(reasons.get(3)).contains("aggregateType").contains("reserved");
        assertThat(reasons.get(4)).contains("max.request.size");
        await().atMost(Duration.ofSeconds(30)).until(() -> relay.status().deadLettered() == bad.size());
        assertThat(relay.status().oversized()).isEqualTo(1);
        assertThat(relay.status().restartCount()).as("restarts: %s", relay.status().restarts()).isZero();
        assertThat(relay.status().lastFailure()).isNull();
    }

    private static Document rawCommit(String type, String id, int version, Date at) {
        return new Document("aggregateType", type).append("aggregateId", id).append("firstVersion", version)
            .append("lastVersion", version).append("committedAt", at)
            .append("events", List.of(rawEvent(id + "-e" + version, version, at)));
    }

    private static Document rawEvent(String eventId, int version, Date at) {
        return new Document("eventId", eventId).append("version", version).append("eventType", "Registered")
            .append("timestamp", at).append("payload", new Document("n", version));
    }

    /**
     * A document without the commit's fields fails the MongoDB schema; against a real MongoDB the schema also works as
     * a collection validator that refuses it (the embedded server ignores validators).
     */
    @Test
    void aDocumentWithoutTheCommitFieldsFailsTheMongoSchemaAndARealServersValidator() {
        assertThat(BsonSchemaCheck.violations(bsonSchema, new BsonDocument("aggregateType", new org.bson.BsonString("p"))))
            .hasSize(5).allSatisfy(violation -> assertThat(violation).endsWith(": required"));
        if (mongo.isEmbedded()) {
            return;
        }
        pipeline.database().createCollection("validated", new CreateCollectionOptions()
            .validationOptions(new ValidationOptions().validator(new Document("$jsonSchema", Document.parse(bsonSchema.toJson())))));
        MongoCollection<Document> validated = pipeline.database().getCollection("validated");
        assertThatThrownBy(() -> validated.insertOne(new Document("aggregateType", "patient")))
            .isInstanceOf(MongoWriteException.class).hasMessageContaining("Document failed validation");
    }

    private Set<String> jsonSchemaErrors(BsonDocument document) throws IOException {
        return jsonSchema.validate(new ObjectMapper().readTree(document.toJson(CANONICAL))).stream()
            .map(Object::toString).collect(Collectors.toSet());
    }

    private static List<String> headerNames(List<ConsumerRecord<String, byte[]>> records, String key) {
        ConsumerRecord<String, byte[]> record = records.stream().filter(r -> r.key().equals(key)).findFirst().orElseThrow();
        return java.util.Arrays.stream(record.headers().toArray()).map(Header::key).toList();
    }

    private static String read(String contract) {
        try {
            return Files.readString(Path.of("..", "contracts", contract));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
