package dev.ferry.mongodb.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bson.BsonDocument;
import org.bson.BsonString;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.DocumentedWrite;
import dev.ferry.mongodb.MongoTestDatabase;

/**
 * A replica history that says it has caught up has read every write made before it was asked — decided by a marker
 * read after the work, not by comparing states: a repeat leaves the stored state equal to the last one seen, so a
 * state comparison alone calls the history complete before the repeat is read.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MongoReplicaHistoryIT {

    private static final int REPEATS = 50;
    private static MongoTestDatabase mongo;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_replica_history");
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @Test
    void aRepeatAfterTheLastStateWasSeenIsReadBeforeCaughtUp() {
        MongoCollection<BsonDocument> collection = mongo.database().getCollection("patient_repeat", BsonDocument.class);
        try (MongoReplicaHistory history = MongoReplicaHistory.watch(collection)) {
            collection.insertOne(document(1, "Ada"));
            awaitCaughtUp(history, collection);
            assertThat(history.writes()).hasSize(1);

            // Written again at the same version (a field changed, or MongoDB would log no write): the stored state is
            // the one already seen. Repeated, so that a check not waiting for the repeat is caught even when the stream
            // happens to be quick.
            for (int repeat = 1; repeat <= REPEATS; repeat++) {
                collection.replaceOne(new BsonDocument("_id", new BsonString("a")), document(1, "Ada " + repeat));
                awaitCaughtUp(history, collection);
                assertThat(history.writes()).as("the repeat is read once caught up").hasSize(1 + repeat);
            }

            assertThat(history.check().repeats()).isEqualTo(REPEATS);
            assertThat(history.unreadable()).as("unreadable: %s", history.unreadableExamples()).isZero();
            assertThat(history.deletes()).as("the history's own markers are no deletes").isZero();
            assertThat(collection.countDocuments()).as("the markers are removed again").isEqualTo(1);
        }
    }

    @Test
    void eachInsertOrReplaceIsLoggedWithTheEntitysDocumentAsWrittenAndATombstoneWithNone() {
        MongoCollection<BsonDocument> collection = mongo.database().getCollection("patient_documents", BsonDocument.class);
        try (MongoReplicaHistory history = MongoReplicaHistory.watch(collection)) {
            collection.insertOne(document(1, "Ada"));
            collection.replaceOne(new BsonDocument("_id", new BsonString("a")), document(2, "Ada L."));
            BsonDocument tombstone = document(3, "ignored");
            tombstone.remove("name");
            tombstone.getDocument(MongoReplicaWriter.FERRY).append("deletedAt", new org.bson.BsonDateTime(0));
            collection.replaceOne(new BsonDocument("_id", new BsonString("a")), tombstone);
            awaitCaughtUp(history, collection);

            assertThat(history.documentedWrites()).extracting(DocumentedWrite::documentJson)
                .containsExactly("{\"_id\": \"a\", \"name\": \"Ada\"}", "{\"_id\": \"a\", \"name\": \"Ada L.\"}", null);
            assertThat(history.documentedWrites()).extracting(DocumentedWrite::write).isEqualTo(history.writes());
        }
    }

    /**
     * As the replica tests wait for it, but asking at once (Awaitility's default first delay would give the stream
     * time to read the repeat anyway, hiding a check that does not wait for it). Bound: the stream only has to read
     * writes already made.
     */
    private static void awaitCaughtUp(MongoReplicaHistory history, MongoCollection<BsonDocument> collection) {
        await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO)
            .until(() -> history.notCaughtUpWith(collection), List::isEmpty);
    }

    private static BsonDocument document(long version, String name) {
        return new BsonDocument("_id", new BsonString("a")).append("name", new BsonString(name))
            .append(MongoReplicaWriter.FERRY, new BsonDocument("version",
                new BsonString(EntityVersion.ofClusterTime(version, 1, 1).wire())));
    }
}
