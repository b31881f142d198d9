package dev.ferry.it.contract;

import static com.mongodb.client.model.Filters.eq;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.bson.types.ObjectId;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.store.ConcurrencyConflict;
import dev.ferry.core.wire.EventJson;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.it.support.BsonSchemaCheck;
import dev.ferry.mongodb.store.CommitDocuments;
import dev.ferry.mongodb.store.MongoEventStore;
import dev.ferry.mongodb.store.RelaxedJson;
import dev.ferry.it.support.NodeProject;

/**
 * The Node.js client ({@code clients/node}, {@code EventStore}) appends by the commit contract as Ferry's Java store
 * does, on the same collection: its commit is the Java store's document field by field with the same BSON types (int64
 * versions, dates), Java reads it back as the events Node returned, the relay's decoding and both published schemas
 * accept it, and its size check measures what the relay publishes. Conflicts go both ways: a Node append against
 * Java's commit with a stale or wrong version is a {@code ConcurrencyConflict} naming the aggregate and the expected
 * and actual versions, and a Java append after Node's with a stale version is Java's {@code ConcurrencyConflict}.
 * The client's unit tests compare its document with a golden commit ({@code clients/node/test/golden}); here Java's
 * store is shown still to write that document. The Node side runs as {@code node test/it/store-command.mjs} in
 * {@code clients/node}, on the client's own lockfile (the driver is its devDependency, installed by the {@code npm ci}
 * that .ci/run does there); without Node.js or that install this test fails, naming the step.
 */
@Timeout(180)
class NodeClientAppendsByTheContractIT {

    private static final Path CLIENT = NodeProject.CLIENT.directory();
    private static final String SCRIPT = "test/it/store-command.mjs";
    private static final Path GOLDEN = CLIENT.resolve(Path.of("test", "golden", "java-commit.json"));
    private static final String EVENTS = "events";
    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    /** The golden commit's first payload: a string, a date before 1970, an int32, an int64, a double, an array, null. */
    private static final String PAYLOAD = "{\"name\": \"Ada\", \"born\": {\"$date\": \"1815-12-10T00:00:00Z\"}, "
        + "\"visits\": 3, \"big\": 5000000000, \"weight\": 61.5, \"tags\": [\"a\", \"b\"], \"none\": null, "
        + "\"nested\": {\"ok\": true}}";
    private static final List<NewEvent> GOLDEN_EVENTS = List.of(
        new NewEvent("Registered", PAYLOAD, new EventMetadata("c-1", null)), new NewEvent("Noted", "{}"));
    private static final List<NewEvent> ONE = List.of(new NewEvent("Noted", "{\"by\": \"one\"}"));

    private MongoUnderTest mongo;
    private MongoClient client;
    private MongoDatabase database;
    private MongoCollection<BsonDocument> commits;
    private MongoEventStore store;

    @BeforeEach
    void start() {
        mongo = MongoUnderTest.start("ferry_node_client");
        client = MongoClients.create(mongo.connectionString());
        database = client.getDatabase(mongo.databaseName());
        commits = database.getCollection(EVENTS, BsonDocument.class);
        store = new MongoEventStore(database, EVENTS, new TopicNaming("ferry."), MongoEventStore.DEFAULT_MAX_EVENT_BYTES)
            .createIndexes();
    }

    @AfterEach
    void stop() {
        database.drop();
        client.close();
        mongo.close();
    }

    @Test
    void aNodeAppendIsTheJavaStoresCommitFieldByFieldAndJavaReadsItBack() throws Exception {
        BsonDocument appended = node(EVENTS, "append", "patient", "p-node", "0", json(GOLDEN_EVENTS));
        store.append("patient", "p-java", 0, GOLDEN_EVENTS);

        assertThat(appended.getString("outcome").getValue()).isEqualTo("appended");
        BsonDocument fromNode = commitOf("p-node");
        BsonDocument fromJava = commitOf("p-java");
        assertThat(shape(fromNode)).as("field names, order and BSON types").isEqualTo(shape(fromJava));
        assertThat(fromNode.getInt64("firstVersion").getValue()).isEqualTo(1);
        assertThat(withoutIdentity(fromNode)).isEqualTo(withoutIdentity(fromJava));

        List<Event> read = store.read("patient", "p-node");
        assertThat(read).as("Java reads the events Node returned").isEqualTo(events(appended.getArray("events")))
            .isEqualTo(CommitDocuments.decode(fromNode));
        assertThat(read).extracting(Event::version, Event::eventType, Event::payloadJson, Event::metadata)
            .isEqualTo(store.read("patient", "p-java").stream()
                .map(event -> Tuple.tuple(event.version(), event.eventType(), event.payloadJson(),
                    event.metadata())).toList());
        assertThat(read.get(0).timestamp()).isEqualTo(Instant.ofEpochMilli(fromNode.getDateTime("committedAt").getValue()));

        assertThat(BsonSchemaCheck.violations(contract("commit.bson-schema.json").getDocument("$jsonSchema"), fromNode))
            .isEmpty();
        assertThat(jsonSchemaErrors(fromNode)).isEmpty();
        List<Integer> javaSizes = read.stream().map(event -> EventJson.encode(event).getBytes(StandardCharsets.UTF_8).length)
            .toList();
        assertThat(appended.getArray("publishedBytes").getValues().stream().map(size -> size.asNumber().intValue()).toList())
            .as("the size Node checks is the size the relay publishes").isEqualTo(javaSizes);
    }

    @Test
    void theGoldenCommitOfTheNodeUnitTestsIsWhatJavasStoreWrites() throws IOException {
        store.append("patient", "p-golden", 0, GOLDEN_EVENTS);

        BsonDocument golden = BsonDocument.parse(Files.readString(GOLDEN));
        assertThat(withoutIdentity(commitOf("p-golden")).toJson(CANONICAL)).isEqualTo(withoutIdentity(golden).toJson(CANONICAL));
    }

    @Test
    void aNodeAppendWithAStaleOrWrongVersionAgainstJavasCommitIsAConflictNamingTheVersions() throws Exception {
        store.append("patient", "p-2", 0, GOLDEN_EVENTS);

        BsonDocument lostTheRace = node(EVENTS, "append", "patient", "p-2", "0", json(ONE)); // the duplicate key
        BsonDocument stale = node(EVENTS, "append", "patient", "p-2", "1", json(ONE)); // no commit ends at 1
        BsonDocument ahead = node(EVENTS, "append", "patient", "p-2", "5", json(ONE));

        assertConflict(lostTheRace, "p-2", 0, 2);
        assertThat(lostTheRace.getString("message").getValue()).isEqualTo(
            new ConcurrencyConflict("patient", "p-2", 0, 1).getMessage()
                .replace("; reload", " (the aggregate is at version 2); reload"));
        assertConflict(stale, "p-2", 1, 2);
        assertConflict(ahead, "p-2", 5, 2);
        assertThat(commits.countDocuments(eq("aggregateId", "p-2"))).isEqualTo(1);

        BsonDocument continued = node(EVENTS, "append", "patient", "p-2", "2", json(ONE));
        assertThat(continued.getString("outcome").getValue()).isEqualTo("appended");
        assertThat(store.read("patient", "p-2")).extracting(Event::version).containsExactly(1L, 2L, 3L);
    }

    @Test
    void aJavaAppendWithAStaleVersionAfterANodeAppendIsJavasConcurrencyConflict() throws Exception {
        node(EVENTS, "append", "patient", "p-3", "0", json(GOLDEN_EVENTS));

        assertThatThrownBy(() -> store.append("patient", "p-3", 0, ONE)).isInstanceOfSatisfying(ConcurrencyConflict.class,
            conflict -> assertThat(List.of(conflict.aggregateType(), conflict.aggregateId(), conflict.expectedVersion()))
                .containsExactly("patient", "p-3", 0L));
        assertThatThrownBy(() -> store.append("patient", "p-3", 1, ONE)).isInstanceOfSatisfying(ConcurrencyConflict.class,
            conflict -> assertThat(conflict.expectedVersion()).isEqualTo(1));
        Event third = store.append("patient", "p-3", 2, ONE).get(0);

        BsonDocument readByNode = node(EVENTS, "read", "patient", "p-3");
        assertThat(events(readByNode.getArray("events"))).isEqualTo(store.read("patient", "p-3")).endsWith(third)
            .extracting(Event::version).containsExactly(1L, 2L, 3L);
    }

    @Test
    void theNodeClientCreatesTheIndexesJavaCreates() throws Exception {
        node("node_events", "createIndexes");
        node(EVENTS, "createIndexes"); // over Java's: the same names and keys, so nothing to do

        assertThat(indexes("node_events")).isEqualTo(indexes(EVENTS)).hasSize(3);
    }

    private void assertConflict(BsonDocument outcome, String aggregateId, long expected, long actual) {
        assertThat(outcome.getString("outcome").getValue()).as(outcome.toJson()).isEqualTo("conflict");
        assertThat(outcome.getString("name").getValue()).isEqualTo("ConcurrencyConflict");
        assertThat(outcome.getString("aggregateType").getValue()).isEqualTo("patient");
        assertThat(outcome.getString("aggregateId").getValue()).isEqualTo(aggregateId);
        assertThat(outcome.get("expectedVersion").asNumber().longValue()).isEqualTo(expected);
        assertThat(outcome.get("actualVersion").asNumber().longValue()).isEqualTo(actual);
    }

    private BsonDocument commitOf(String aggregateId) {
        return commits.find(eq("aggregateId", aggregateId)).first();
    }

    /** A commit's field names in order and their BSON types, down to the payload's. */
    private static BsonValue shape(BsonValue value) {
        if (value.isDocument()) {
            BsonDocument shape = new BsonDocument();
            value.asDocument().forEach((name, field) -> shape.append(name, shape(field)));
            return shape;
        }
        if (value.isArray()) {
            return new BsonArray(value.asArray().getValues().stream().map(NodeClientAppendsByTheContractIT::shape).toList());
        }
        return new BsonString(value.getBsonType().name());
    }

    /** A commit with what each append makes its own (_id, aggregateId, event ids, times) set to fixed values. */
    private static BsonDocument withoutIdentity(BsonDocument commit) {
        BsonDocument copy = commit.clone();
        BsonDateTime time = new BsonDateTime(0);
        copy.put("_id", new BsonObjectId(new ObjectId("000000000000000000000000")));
        copy.put("aggregateId", new BsonString("-"));
        copy.put("committedAt", time);
        for (BsonValue event : copy.getArray("events")) {
            event.asDocument().put("eventId", new BsonString("-"));
            event.asDocument().put("timestamp", time);
        }
        return copy;
    }

    /** The events Node printed, as Java's Event. */
    private static List<Event> events(BsonArray printed) {
        return printed.getValues().stream().map(BsonValue::asDocument).map(event -> new Event(
            event.getString("eventId").getValue(), event.getString("aggregateType").getValue(),
            event.getString("aggregateId").getValue(), event.get("version").asNumber().longValue(),
            event.getString("eventType").getValue(), Instant.ofEpochMilli(event.getDateTime("timestamp").getValue()),
            RelaxedJson.of(event.getDocument("payload")), new EventMetadata(
                optionalString(event.getDocument("metadata").get("correlationId")),
                optionalString(event.getDocument("metadata").get("causationId"))))).toList();
    }

    private static String optionalString(BsonValue value) {
        return value != null && value.isString() ? value.asString().getValue() : null;
    }

    /** New events as the Node script takes them: {events: [{eventType, payload, metadata}]} in canonical Extended JSON. */
    private static String json(List<NewEvent> events) {
        BsonArray array = new BsonArray();
        for (NewEvent event : events) {
            BsonDocument metadata = new BsonDocument();
            if (event.metadata().correlationId() != null) {
                metadata.append("correlationId", new BsonString(event.metadata().correlationId()));
            }
            if (event.metadata().causationId() != null) {
                metadata.append("causationId", new BsonString(event.metadata().causationId()));
            }
            array.add(new BsonDocument("eventType", new BsonString(event.eventType()))
                .append("payload", Document.parse(event.payloadJson()).toBsonDocument()).append("metadata", metadata));
        }
        return new BsonDocument("events", array).toJson(CANONICAL);
    }

    private Set<BsonDocument> indexes(String collection) {
        return database.getCollection(collection).listIndexes(BsonDocument.class).into(new ArrayList<>()).stream()
            .map(index -> new BsonDocument("name", index.get("name")).append("key", index.get("key"))
                .append("unique", index.getBoolean("unique", BsonBoolean.FALSE)))
            .collect(Collectors.toSet());
    }

    private static BsonDocument contract(String name) {
        try {
            return BsonDocument.parse(Files.readString(Path.of("..", "contracts", name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Set<String> jsonSchemaErrors(BsonDocument document) throws IOException {
        JsonSchema schema = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012)
            .getSchema(Files.readString(Path.of("..", "contracts", "commit.schema.json")));
        return schema.validate(new ObjectMapper().readTree(document.toJson(CANONICAL))).stream().map(Object::toString)
            .collect(Collectors.toSet());
    }

    /** Runs the client's script for one call on {@code collection}; what it printed, or a failure with what it wrote. */
    private BsonDocument node(String collection, String... call) throws IOException, InterruptedException {
        String node = NodeProject.CLIENT.node("mongodb");
        Path stdout = Files.createTempFile("node-client", ".out");
        Path stderr = Files.createTempFile("node-client", ".err");
        try {
            List<String> command = new ArrayList<>(List.of(node, SCRIPT, mongo.connectionString(), database.getName(),
                collection));
            command.addAll(List.of(call));
            Process process = new ProcessBuilder(command).directory(CLIENT.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                fail("node " + SCRIPT + " did not finish within 90 s; it wrote: " + Files.readString(stderr));
            }
            if (process.exitValue() != 0) {
                fail("node " + SCRIPT + " " + String.join(" ", call) + " failed (exit " + process.exitValue() + "): "
                    + Files.readString(stderr));
            }
            return BsonDocument.parse(Files.readString(stdout));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
