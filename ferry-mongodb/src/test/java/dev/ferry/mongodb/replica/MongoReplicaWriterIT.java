package dev.ferry.mongodb.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;

import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaHistoryCheck.Verdict;
import dev.ferry.core.replica.ReplicaWrite;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.replica.ReplicaWriter.Outcome;
import dev.ferry.core.replica.ReplicaWriter.StoredVersion;
import dev.ferry.core.replica.contract.ReplicaWriterContract;
import dev.ferry.mongodb.MongoTestDatabase;

/**
 * The MongoDB replica keeps the {@link ReplicaWriterContract} and stays BSON-equal to its source: against the embedded
 * MongoDB (or FERRY_MONGODB_URI), with a change stream on the replica as the independent witness.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MongoReplicaWriterIT extends ReplicaWriterContract {

    private static final AtomicInteger COLLECTIONS = new AtomicInteger();
    private static MongoTestDatabase mongo;

    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-02T10:00:00Z"));
    private final List<MongoReplicaHistory> histories = new ArrayList<>();

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_replica");
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @AfterEach
    void stopHistories() {
        histories.forEach(MongoReplicaHistory::close);
    }

    @Override
    protected Replica newReplica() {
        return replica();
    }

    @Override
    protected void advanceClock(Duration by) {
        clock.advance(by);
    }

    @Test
    void typesSurviveBsonEqual() {
        MongoReplica replica = replica();
        String document = "{\"_id\": {\"$oid\": \"6650f1a2b3c4d5e6f7a8b9c0\"}, \"visits\": {\"$numberLong\": \"9007199254740993\"}, "
            + "\"balance\": {\"$numberDecimal\": \"12.50\"}, \"born\": {\"$date\": {\"$numberLong\": \"1700000000123\"}}, "
            + "\"doctor\": {\"$oid\": \"6650f1a2b3c4d5e6f7a8b9c1\"}, \"ratio\": {\"$numberDouble\": \"0.1\"}, "
            + "\"age\": {\"$numberInt\": \"36\"}, \"small\": {\"$numberLong\": \"1\"}, \"address\": {\"city\": \"Zürich\", \"zip\": null}, "
            + "\"scores\": [[{\"$numberInt\": \"1\"}, {\"$numberLong\": \"2\"}], [], [{\"$numberDecimal\": \"3.0\"}]], "
            + "\"photo\": {\"$binary\": {\"base64\": \"AQID\", \"subType\": \"00\"}}}";

        replica.writer.write(List.of(change("6650f1a2b3c4d5e6f7a8b9c0", EntityOperation.CREATE, 1, document)));

        BsonDocument stored = replica.collection.find(Filters.eq("_id", new ObjectId("6650f1a2b3c4d5e6f7a8b9c0"))).first();
        assertThat(stored).isNotNull();
        stored.remove("_ferry");
        assertThat(stored).isEqualTo(BsonDocument.parse(document));
        assertThat(stored.get("small")).isInstanceOf(BsonInt64.class); // not narrowed to an Int32
        assertThat(new ArrayList<>(stored.keySet())).isEqualTo(new ArrayList<>(BsonDocument.parse(document).keySet()));
    }

    @Test
    void aDeleteFindsItsDocumentByKeyWhateverTheIdsType() {
        MongoReplica replica = replica();
        String objectIdHex = new ObjectId().toHexString();
        String hexLookingString = new ObjectId().toHexString();
        replica.writer.write(List.of(
            change(objectIdHex, EntityOperation.CREATE, 1, "{\"_id\": {\"$oid\": \"" + objectIdHex + "\"}, \"n\": 1}"),
            change("{\"$numberLong\": \"42\"}", EntityOperation.CREATE, 1, "{\"_id\": {\"$numberLong\": \"42\"}, \"n\": 1}"),
            change(hexLookingString, EntityOperation.CREATE, 1, "{\"_id\": \"" + hexLookingString + "\", \"n\": 1}")));

        List<Outcome> deletes = replica.writer.write(List.of(change(objectIdHex, EntityOperation.DELETE, 2, null),
            change("{\"$numberLong\": \"42\"}", EntityOperation.DELETE, 2, null), change(hexLookingString, EntityOperation.DELETE, 2, null)));

        assertThat(deletes).containsOnly(Outcome.APPLIED);
        assertThat(replica.collection.countDocuments()).isEqualTo(3);
        assertThat(replica.collection.countDocuments(Filters.exists("_ferry.deletedAt"))).isEqualTo(3);
        assertThat(replica.collection.find(Filters.eq("_id", new BsonInt64(42))).first()).isNotNull();
        assertThat(replica.collection.find(Filters.eq("_id", hexLookingString)).first()).isNotNull();
        assertThat(replica.collection.find(Filters.eq("_id", new ObjectId(objectIdHex))).first()).isNotNull();
    }

    /**
     * The contract's race over a stored document: the replace's version condition alone keeps it from going back
     * when another writer writes a newer version after this writer read the stored one (v1) and before its bulk write.
     */
    @Test
    void aNewerVersionWrittenOverAStoredDocumentBetweenTheReadAndTheWriteIsNeverOverwritten() {
        MongoReplica replica = replica();
        replica.writer.write(List.of(create("a", 1)));
        AtomicInteger raced = new AtomicInteger();
        ReplicaWriter writer = replica.writerRacedBy(() -> {
            if (raced.getAndIncrement() == 0) {
                assertThat(replica.writer.write(List.of(update("a", 9)))).containsOnly(Outcome.APPLIED);
            }
        });

        List<Outcome> outcomes = writer.write(List.of(update("a", 3)));

        assertThat(raced.get()).as("the other writer ran between the read and the write").isPositive();
        assertThat(outcomes).containsExactly(Outcome.DUPLICATE);
        assertThat(replica.writer.stored(ENTITY, "a")).contains(new StoredVersion(v(9), false));
        assertThat(replica.withoutFerry("a")).isEqualTo(BsonDocument.parse(patient("a", 9)));
        List<ReplicaWrite> history = historyUntilNow(replica);
        assertThat(verdict(history).examples()).isEmpty();
        assertThat(history).containsExactly(new ReplicaWrite("a", v(1), false), new ReplicaWrite("a", v(9), false));
    }

    /**
     * The history reads every kind of change event, not only the writer's replaces: an update in place is applied to
     * the state it last saw ({@code _ferry.version} set: a write of that version; other fields: the same version again,
     * a repeat; {@code _ferry.deletedAt} set: a tombstone), a delete is counted, and a document without a version is
     * unreadable, never skipped.
     */
    @Test
    void theHistoryReadsUpdatesInPlaceDeletesAndWhatItCannotRead() {
        MongoReplica replica = replica();
        replica.writer.write(List.of(create("a", 1)));
        replica.historyAfter(1);

        replica.collection.updateOne(Filters.eq("_id", "a"), new BsonDocument("$set",
            new BsonDocument("_ferry.version", new BsonString(v(2).wire()))));
        replica.collection.updateOne(Filters.eq("_id", "a"), new BsonDocument("$set",
            new BsonDocument("name", new BsonString("changed in place"))));
        replica.collection.updateOne(Filters.eq("_id", "a"), new BsonDocument("$set",
            new BsonDocument("_ferry.deletedAt", new BsonDateTime(clock.millis()))));
        replica.collection.insertOne(new BsonDocument("_id", new BsonString("no-version")));
        replica.collection.deleteOne(Filters.eq("_id", "a"));
        replica.writer.write(List.of(create("marker", 1)));

        Verdict verdict = replica.historyAfter(5);
        assertThat(replica.log.writes()).extracting(write -> write.id() + "@" + write.version().wire()
            + (write.deleted() ? " deleted" : "")).containsExactly("a@" + v(1).wire(), "a@" + v(2).wire(),
            "a@" + v(2).wire(), "a@" + v(2).wire() + " deleted", "marker@" + v(1).wire());
        assertThat(verdict.repeats()).isEqualTo(2);
        assertThat(replica.log.unreadable()).isEqualTo(1);
        assertThat(replica.log.unreadableExamples()).containsExactly("insert of no-version without _ferry.version");
        assertThat(replica.log.deletes()).isEqualTo(1);
        assertThat(replica.log.notCaughtUpWith(replica.collection))
            .containsExactly("no-version: stored State[version=null, deleted=false], last seen null");
    }

    private MongoReplica replica() {
        String name = "patient_" + COLLECTIONS.incrementAndGet();
        MongoCollection<BsonDocument> collection = mongo.database().getCollection(name, BsonDocument.class);
        MongoReplicaHistory history = MongoReplicaHistory.watch(collection);
        histories.add(history);
        return new MongoReplica(collection, writer(mongo.database(), name), history, clock);
    }

    private MongoReplicaWriter writer(MongoDatabase database, String collection) {
        return new MongoReplicaWriter(database, List.of(new MongoReplicaCollection(ENTITY, collection)), Duration.ofHours(1),
            clock);
    }

    private record MongoReplica(MongoCollection<BsonDocument> collection, MongoReplicaWriter writer,
                                MongoReplicaHistory log, MovableClock clock) implements Replica {

        @Override
        public ReplicaWriter writerRacedBy(Runnable action) {
            return new MongoReplicaWriter(BeforeBulkWrite.of(mongo.database(), action),
                List.of(new MongoReplicaCollection(ENTITY, collection.getNamespace().getCollectionName())),
                Duration.ofHours(1), clock);
        }

        @Override
        public List<ReplicaWrite> history() {
            return log.writes();
        }

        @Override
        public void assertHolds(String id, String documentJson) {
            assertThat(withoutFerry(id)).isEqualTo(BsonDocument.parse(documentJson));
        }

        @Override
        public void assertTombstone(String id, EntityVersion version) {
            BsonDocument tombstone = collection.find(Filters.eq("_id", id)).first();
            assertThat(tombstone).isEqualTo(new BsonDocument("_id", new BsonString(id)).append("_ferry",
                new BsonDocument("version", new BsonString(version.wire())).append("deletedAt", new BsonDateTime(clock.millis()))));
        }

        @Override
        public Object snapshot() {
            return collection.find().sort(new BsonDocument("_id", new BsonInt64(1))).into(new ArrayList<>());
        }

        @Override
        public void plantLiveState(String id, EntityVersion version) {
            collection.replaceOne(Filters.eq("_id", id), new BsonDocument("_id", new BsonString(id))
                .append("name", new BsonString("planted")).append("_ferry", new BsonDocument("version", new BsonString(version.wire()))));
        }

        BsonDocument withoutFerry(String id) {
            BsonDocument document = collection.find(Filters.eq("_id", id)).first();
            document.remove("_ferry");
            return document;
        }

        /** The history's verdict once it has seen at least {@code writes} writes. */
        Verdict historyAfter(long writes) {
            await().atMost(Duration.ofSeconds(30)).until(() -> log.writes().size() >= writes);
            return log.check();
        }
    }

    /** A clock a test moves by hand. */
    static final class MovableClock extends Clock {
        private volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        void advance(Duration by) {
            now = now.plus(by);
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }
}
