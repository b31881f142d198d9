package dev.ferry.it.contract;

import static com.mongodb.client.model.Filters.eq;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bson.BsonDocument;
import org.bson.BsonString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.it.support.BsonSchemaCheck;
import dev.ferry.mongodb.store.MongoEventStore;
import dev.ferry.it.support.NodeProject;

/**
 * The Node.js driver 7 (the npm package {@code mongodb}, locked in {@code src/test/node/driver-contract}) connects to
 * the MongoDB under test, appends a commit by the contract of docs/concepts.md and reads it back from a change
 * stream; Ferry's store reads the commit as the aggregate's continuation. The driver refuses servers older than
 * MongoDB 4.4, so on the embedded server this also shows what it claims (ferry-embedded's README lists what drivers
 * gate on that claim). Node.js and the project's {@code npm ci} are required: without them this test fails, naming
 * the step.
 */
@Timeout(120)
class NodeDriverContractIT {

    private static final Path PROJECT = NodeProject.DRIVER_CONTRACT.directory();
    private static final String SCRIPT = "append-and-watch.mjs";
    private static final String EVENTS = "events";

    private MongoUnderTest mongo;
    private MongoClient client;
    private MongoDatabase database;
    private MongoEventStore store;

    @BeforeEach
    void start() {
        mongo = MongoUnderTest.start("ferry_node");
        client = MongoClients.create(mongo.connectionString());
        database = client.getDatabase(mongo.databaseName());
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
    void theNodeDriverAppendsByTheContractAndReadsTheAppendFromAChangeStream() throws Exception {
        Event registered = store.append("patient", "p-1", 0, List.of(new NewEvent("Registered", "{\"name\": \"Ada\"}")))
            .get(0);

        NodeRun run = node("patient", "p-1", 1);

        assertThat(run.exitCode()).as(run.stderr()).isZero();
        BsonDocument result = BsonDocument.parse(run.stdout());
        assertThat(result.getString("driver").getValue()).startsWith("7.");
        if (mongo.isEmbedded()) {
            assertThat(result.getInt32("maxWireVersion").getValue()).isEqualTo(9);
        }
        BsonDocument change = result.getDocument("change");
        assertThat(change.getString("operationType").getValue()).isEqualTo("insert");
        assertThat(change.getDocument("ns")).isEqualTo(new BsonDocument("db", new BsonString(database.getName()))
            .append("coll", new BsonString(EVENTS)));
        MongoCollection<BsonDocument> commits = database.getCollection(EVENTS, BsonDocument.class);
        BsonDocument stored = commits.find(eq("_id", change.getDocument("documentKey").get("_id"))).first();
        assertThat(stored).isEqualTo(result.getDocument("commit")).isEqualTo(change.getDocument("fullDocument"));
        assertThat(stored.get("firstVersion").isInt32()).as("the Node.js driver writes small numbers as int32").isTrue();
        BsonDocument schema = BsonDocument.parse(Files.readString(Path.of("..", "contracts", "commit.bson-schema.json")))
            .getDocument("$jsonSchema");
        assertThat(BsonSchemaCheck.violations(schema, stored)).isEmpty();

        BsonDocument moved = stored.getArray("events").get(0).asDocument();
        Instant at = Instant.ofEpochMilli(stored.getDateTime("committedAt").getValue());
        assertThat(store.read("patient", "p-1")).containsExactly(registered,
            new Event(moved.getString("eventId").getValue(), "patient", "p-1", 2, "Moved", at,
                "{\"ward\": {\"id\": 3, \"tags\": [\"node\"]}}", new EventMetadata("node-c-1", null)),
            new Event(stored.getArray("events").get(1).asDocument().getString("eventId").getValue(), "patient", "p-1", 3,
                "Noted", at, "{}", EventMetadata.NONE));
    }

    @Test
    void anAppendThatDoesNotContinueTheLastCommitIsAConflictAndWritesNothing() throws Exception {
        store.append("patient", "p-2", 0, List.of(new NewEvent("Registered", "{}")));

        NodeRun run = node("patient", "p-2", 5);

        assertThat(run.exitCode()).isNotZero();
        assertThat(run.stderr()).contains("conflict: no commit of patient/p-2 ends at version 5");
        assertThat(store.read("patient", "p-2")).hasSize(1);
    }

    private record NodeRun(int exitCode, String stdout, String stderr) {
    }

    private NodeRun node(String aggregateType, String aggregateId, long expectedVersion) throws IOException,
        InterruptedException {
        String node = NodeProject.DRIVER_CONTRACT.node("mongodb");
        Path stdout = Files.createTempFile("node-driver-contract", ".out");
        Path stderr = Files.createTempFile("node-driver-contract", ".err");
        try {
            List<String> command = new ArrayList<>(List.of(node, SCRIPT, mongo.connectionString(), database.getName(),
                EVENTS, aggregateType, aggregateId, Long.toString(expectedVersion)));
            Process process = new ProcessBuilder(command).directory(PROJECT.toFile())
                .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
            if (!process.waitFor(90, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                fail("node " + SCRIPT + " did not finish within 90 s; it wrote: " + Files.readString(stderr));
            }
            return new NodeRun(process.exitValue(), Files.readString(stdout), Files.readString(stderr));
        } finally {
            Files.deleteIfExists(stdout);
            Files.deleteIfExists(stderr);
        }
    }
}
