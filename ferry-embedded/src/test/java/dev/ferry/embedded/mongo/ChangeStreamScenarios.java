package dev.ferry.embedded.mongo;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.bson.Document;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

/**
 * Scenarios that show how a server's change stream reports writes, run both against Ferry's embedded
 * server (which must get them right) and against the stock mongo-java-server (which gets them wrong,
 * the reason Ferry replaces its oplog).
 */
final class ChangeStreamScenarios implements AutoCloseable {

    final MongoClient client;
    final MongoCollection<Document> events;

    ChangeStreamScenarios(String connectionString) {
        client = MongoClients.create(connectionString);
        events = client.getDatabase("ferry").getCollection("events");
        events.createIndex(Indexes.ascending("aggregateId", "version"), new IndexOptions().unique(true));
    }

    /** Inserts v1, a conflicting second v1 (rejected), then v2; returns the inserts the stream reports. */
    List<ChangeStreamDocument<Document>> rejectedInsertBetweenTwoAccepted() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.insertOne(event("a", 1, "accepted"));
            try {
                events.insertOne(event("a", 1, "rejected"));
                throw new AssertionError("the duplicate append was accepted");
            } catch (MongoWriteException expected) {
                // E11000, as on a real server
            }
            events.insertOne(event("a", 2, "accepted"));
            events.insertOne(sentinel());
            return untilSentinel(cursor);
        }
    }

    /** An ordered insertMany of v1, v1 (duplicate), v2: only the first document is written. */
    List<ChangeStreamDocument<Document>> orderedInsertManyFailingInTheMiddle() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            try {
                events.insertMany(List.of(event("b", 1, "written"), event("b", 1, "duplicate"),
                    event("b", 2, "never written")));
                throw new AssertionError("the duplicate was accepted");
            } catch (MongoBulkWriteException expected) {
                // the batch stops at the duplicate
            }
            events.insertOne(sentinel());
            return untilSentinel(cursor);
        }
    }

    static Document event(String aggregateId, int version, String note) {
        return new Document("aggregateId", aggregateId).append("version", version).append("note", note);
    }

    void insertSentinel() {
        events.insertOne(sentinel());
    }

    private static Document sentinel() {
        return new Document("aggregateId", "sentinel-" + System.nanoTime()).append("version", 0)
            .append("sentinel", true);
    }

    /** Reads change events until the sentinel insert arrives; returns those before it. */
    static List<ChangeStreamDocument<Document>> untilSentinel(
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor) {
        List<ChangeStreamDocument<Document>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).until(() -> {
            for (ChangeStreamDocument<Document> change = cursor.tryNext(); change != null; change = cursor.tryNext()) {
                if (change.getFullDocument() != null && change.getFullDocument().getBoolean("sentinel", false)) {
                    return true;
                }
                seen.add(change);
            }
            return false;
        });
        return seen;
    }

    /** Asserts that the stream stays quiet for a while: nothing (more) arrives. */
    static void assertQuiet(MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor) {
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
            .until(() -> cursor.tryNext() == null);
    }

    /** Reads exactly {@code count} change events. */
    static List<ChangeStreamDocument<Document>> take(
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor, int count) {
        List<ChangeStreamDocument<Document>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> {
            for (ChangeStreamDocument<Document> change = seen.size() < count ? cursor.tryNext() : null;
                 change != null; change = seen.size() < count ? cursor.tryNext() : null) {
                seen.add(change);
            }
            return seen.size() >= count;
        });
        return seen;
    }

    @Override
    public void close() {
        client.close();
    }
}
