package dev.ferry.mongodb.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaWriter.Outcome;
import dev.ferry.core.replica.ReplicaWriter.StoredVersion;
import dev.ferry.mongodb.MongoTestDatabase;

/**
 * A batch of ids the replica does not hold costs one bulk write and no read; the replica is read only for the runs whose
 * upsert collided with a version at or above what their plan assumed (a redelivery), and their outcomes are exactly
 * those of a plan over what is stored. Counted from the commands the driver sends (embedded MongoDB or
 * FERRY_MONGODB_URI).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MongoReplicaWriterReadsOnlyOnCollisionIT {

    private static final String ENTITY = "patient";
    private static final Set<String> COUNTED = Set.of("find", "update", "aggregate", "findAndModify");
    private static final AtomicInteger COLLECTIONS = new AtomicInteger();

    private static MongoTestDatabase mongo;
    private static MongoClient counted;
    private static final ConcurrentLinkedQueue<BsonDocument> COMMANDS = new ConcurrentLinkedQueue<>();

    private MongoCollection<BsonDocument> collection;
    private MongoReplicaWriter writer;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_replica_reads");
        CommandListener listener = new CommandListener() {
            @Override
            public void commandStarted(CommandStartedEvent event) {
                if (COUNTED.contains(event.getCommandName())) {
                    COMMANDS.add(event.getCommand().clone());
                }
            }
        };
        counted = MongoClients.create(MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(mongo.mongo().connectionString())).addCommandListener(listener).build());
    }

    @AfterAll
    static void disconnect() {
        counted.close();
        mongo.close();
    }

    @BeforeEach
    void newReplica() {
        String name = "patient_" + COLLECTIONS.incrementAndGet();
        writer = new MongoReplicaWriter(counted.getDatabase(mongo.mongo().databaseName()),
            List.of(new MongoReplicaCollection(ENTITY, name)), Duration.ofHours(1), Clock.fixed(Instant.parse("2026-12-07T06:00:00Z"), ZoneOffset.UTC));
        collection = mongo.database().getCollection(name, BsonDocument.class);
    }

    @Test
    void aBatchOfManyNewIdsIsOneBulkWriteWithoutARead() {
        List<EntityChange> batch = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            String id = "p" + i;
            batch.add(create(id, 1));
            if (i % 2 == 0) {
                batch.add(update(id, 2));
            }
            if (i % 5 == 0) {
                batch.add(delete(id, 3));
            }
        }
        batch.add(delete("gone-before-it-came", 4)); // a string key stands for one _id: no read either
        COMMANDS.clear();

        List<Outcome> outcomes = writer.write(batch);

        assertThat(outcomes).hasSize(batch.size()).containsOnly(Outcome.APPLIED);
        assertThat(commandNames()).containsExactly("update");
        assertThat(collection.countDocuments()).isEqualTo(301);
        assertThat(writer.stored(ENTITY, "p10")).contains(new StoredVersion(v(3), true));
        assertThat(writer.stored(ENTITY, "p2")).contains(new StoredVersion(v(2), false));
        assertThat(writer.stored(ENTITY, "p1")).contains(new StoredVersion(v(1), false));
    }

    @Test
    void aStaleRedeliveredChangeIsReadAfterItsCollisionAndEndsDuplicateWithTheReplicaUnchanged() {
        writer.write(List.of(create("a", 1), update("a", 2), create("b", 1)));
        List<BsonDocument> before = snapshot();
        COMMANDS.clear();

        List<Outcome> outcomes = writer.write(List.of(create("a", 1), create("new", 1)));

        assertThat(outcomes).containsExactly(Outcome.DUPLICATE, Outcome.APPLIED);
        assertThat(commandNames()).as("the blind write, the read of the collided id only; nothing new to write for it")
            .containsExactly("update", "find");
        assertThat(COMMANDS.stream().filter(command -> command.containsKey("find")).findFirst().orElseThrow()
            .toJson()).contains("\"a\"").doesNotContain("\"new\"");
        List<BsonDocument> after = snapshot();
        after.removeIf(document -> document.getString("_id").getValue().equals("new"));
        assertThat(after).isEqualTo(before);
    }

    /**
     * A redelivery that overlaps the stored version: the plan over nothing would report the stored change applied; the
     * floor's condition makes it collide, and the plan over what is stored reports it a duplicate.
     */
    @Test
    void aRunRedeliveredFromBelowTheStoredVersionGetsTheOutcomesOfItsPlanOverTheStoredOne() {
        writer.write(List.of(create("a", 1)));
        COMMANDS.clear();

        List<Outcome> outcomes = writer.write(List.of(create("a", 1), update("a", 2), update("a", 3)));

        assertThat(outcomes).containsExactly(Outcome.DUPLICATE, Outcome.APPLIED, Outcome.APPLIED);
        assertThat(commandNames()).containsExactly("update", "find", "update");
        assertThat(writer.stored(ENTITY, "a")).contains(new StoredVersion(v(3), false));
        assertThat(collection.find(new BsonDocument("_id", new org.bson.BsonString("a"))).first().getString("name").getValue())
            .isEqualTo("v3");
    }

    /** A delete of a key that may be an ObjectId or a string is the one run read first: which _id it is, is stored. */
    @Test
    void onlyARunWhoseIdTheKeyLeavesOpenIsReadFirst() {
        String hex = new ObjectId().toHexString();
        writer.write(List.of(change(hex, EntityOperation.CREATE, 1, "{\"_id\": \"" + hex + "\", \"n\": 1}")));
        COMMANDS.clear();

        List<Outcome> outcomes = writer.write(List.of(create("x", 1), delete(hex, 2), create("y", 1)));

        assertThat(outcomes).containsOnly(Outcome.APPLIED);
        assertThat(commandNames()).containsExactly("find", "update");
        assertThat(COMMANDS.peek().toJson()).contains(hex).doesNotContain("\"x\"").doesNotContain("\"y\"");
        assertThat(collection.countDocuments(new BsonDocument("_id", new org.bson.BsonString(hex))
            .append("_ferry.deletedAt", new BsonDocument("$exists", new BsonInt32(1))))).as("the string id's tombstone")
            .isEqualTo(1);
    }

    private static List<String> commandNames() {
        return COMMANDS.stream().map(command -> command.getFirstKey()).toList();
    }

    private List<BsonDocument> snapshot() {
        return collection.find().sort(new BsonDocument("_id", new BsonInt32(1))).into(new ArrayList<>());
    }

    private static EntityVersion v(long n) {
        return EntityVersion.ofClusterTime(n, 1, 1);
    }

    private static EntityChange create(String id, long version) {
        return change(id, EntityOperation.CREATE, version, patient(id, version));
    }

    private static EntityChange update(String id, long version) {
        return change(id, EntityOperation.UPDATE, version, patient(id, version));
    }

    private static EntityChange delete(String id, long version) {
        return change(id, EntityOperation.DELETE, version, null);
    }

    private static String patient(String id, long version) {
        return "{\"_id\": \"" + id + "\", \"name\": \"v" + version + "\"}";
    }

    private static EntityChange change(String id, EntityOperation operation, long version, String document) {
        return new EntityChange(ENTITY, id, operation, v(version), document, null, "clinic", "patients", version, 1);
    }
}
