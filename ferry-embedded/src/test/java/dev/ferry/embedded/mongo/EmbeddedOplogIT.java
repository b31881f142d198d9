package dev.ferry.embedded.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.set;
import static dev.ferry.embedded.mongo.ChangeStreamScenarios.assertQuiet;
import static dev.ferry.embedded.mongo.ChangeStreamScenarios.event;
import static dev.ferry.embedded.mongo.ChangeStreamScenarios.take;
import static dev.ferry.embedded.mongo.ChangeStreamScenarios.untilSentinel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoNamespace;
import com.mongodb.MongoWriteException;
import com.mongodb.client.ClientSession;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.FindOneAndReplaceOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.FullDocument;
import com.mongodb.client.model.changestream.OperationType;

/**
 * Each fix Ferry's embedded oplog makes to mongo-java-server; {@link StockOplogDefectsIT} shows the same
 * scenarios failing on the stock server. These run only on the embedded server: they test the emulator.
 */
@Timeout(60)
class EmbeddedOplogIT {

    private static final int OPLOG_CAPACITY = 100;

    private EmbeddedMongo mongo;
    private ChangeStreamScenarios scenarios;

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.start(0, OPLOG_CAPACITY);
        scenarios = new ChangeStreamScenarios(mongo.connectionString());
    }

    @AfterEach
    void stop() {
        scenarios.close();
        mongo.close();
    }

    @Test
    void aRejectedInsertIsNoChangeEvent() {
        List<ChangeStreamDocument<Document>> changes = scenarios.rejectedInsertBetweenTwoAccepted();

        assertThat(changes).extracting(change -> change.getFullDocument().getString("note"))
            .containsExactly("accepted", "accepted");
    }

    @Test
    void anOrderedInsertManyReportsOnlyTheDocumentsBeforeTheFailure() {
        List<ChangeStreamDocument<Document>> changes = scenarios.orderedInsertManyFailingInTheMiddle();

        assertThat(changes).extracting(change -> change.getFullDocument().getString("note"))
            .containsExactly("written");
    }

    @Test
    void anUpdateNamesTheDocumentByIdAndLooksItUpOnRequest() {
        scenarios.events.insertOne(event("c", 1, "before"));
        Object id = scenarios.events.find(eq("aggregateId", "c")).first().get("_id");
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> plain = scenarios.events.watch().cursor();
             MongoChangeStreamCursor<ChangeStreamDocument<Document>> lookedUp =
                 scenarios.events.watch().fullDocument(FullDocument.UPDATE_LOOKUP).cursor()) {
            scenarios.events.updateOne(eq("aggregateId", "c"), set("note", "after"));

            ChangeStreamDocument<Document> update = take(plain, 1).get(0);
            assertThat(update.getOperationType()).isEqualTo(OperationType.UPDATE);
            assertThat(update.getDocumentKey()).isEqualTo(new Document("_id", id).toBsonDocument());
            assertThat(update.getFullDocument()).isNull();

            ChangeStreamDocument<Document> withLookup = take(lookedUp, 1).get(0);
            assertThat(withLookup.getFullDocument()).containsEntry("note", "after").containsEntry("version", 1);
        }
    }

    @Test
    void aReplacementIsAReplaceEventWithTheNewDocument() {
        scenarios.events.insertOne(event("d", 1, "original"));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.replaceOne(eq("aggregateId", "d"), event("d", 1, "replacement"));

            ChangeStreamDocument<Document> replace = take(cursor, 1).get(0);
            assertThat(replace.getOperationType()).isEqualTo(OperationType.REPLACE);
            assertThat(replace.getFullDocument()).containsEntry("note", "replacement");
        }
    }

    @Test
    void resumingFromATokenOutsideTheRetainedWindowFailsWithHistoryLost() {
        BsonDocument oldToken;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.insertOne(event("e", 1, "soon evicted"));
            oldToken = take(cursor, 1).get(0).getResumeToken();
        }
        for (int version = 2; version <= OPLOG_CAPACITY + 10; version++) {
            scenarios.events.insertOne(event("e", version, "filler"));
        }

        assertThatThrownBy(() -> scenarios.events.watch().resumeAfter(oldToken).cursor().tryNext())
            .isInstanceOfSatisfying(MongoCommandException.class,
                e -> assertThat(e.getErrorCode()).isEqualTo(286));
        assertThatThrownBy(() -> scenarios.events.watch().startAtOperationTime(new BsonTimestamp(1, 1)).cursor())
            .isInstanceOfSatisfying(MongoCommandException.class,
                e -> assertThat(e.getErrorCode()).isEqualTo(286));
    }

    @Test
    void aTailingCursorThatFallsOutOfTheWindowFailsWithHistoryLost() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            for (int version = 1; version <= OPLOG_CAPACITY + 10; version++) {
                scenarios.events.insertOne(event("f", version, "filler"));
            }
            assertThatThrownBy(cursor::tryNext).isInstanceOfSatisfying(MongoCommandException.class,
                e -> assertThat(e.getErrorCode()).isEqualTo(286));
        }
    }

    @Test
    void malformedAndFutureResumeTokensAreRefused() {
        BsonDocument malformed = new BsonDocument("_data", new BsonString("not-a-token"));
        BsonDocument future = new BsonDocument("_data", new BsonString("827fffffffffffffff"));

        assertThatThrownBy(() -> scenarios.events.watch().resumeAfter(malformed).cursor())
            .isInstanceOfSatisfying(MongoCommandException.class, e -> {
                assertThat(e.getErrorCode()).isEqualTo(2);
                assertThat(e.getErrorMessage()).contains("malformed resume token");
            });
        assertThatThrownBy(() -> scenarios.events.watch().resumeAfter(future).cursor())
            .isInstanceOfSatisfying(MongoCommandException.class,
                e -> assertThat(e.getErrorCode()).isEqualTo(280));
    }

    @Test
    void aDatabaseStreamReportsEveryCollectionOfItsDatabaseAndNoOther() {
        MongoDatabase ferry = scenarios.client.getDatabase("ferry");
        MongoCollection<Document> audit = ferry.getCollection("audit");
        MongoCollection<Document> elsewhere = scenarios.client.getDatabase("other").getCollection("events");
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = ferry.watch().cursor()) {
            scenarios.events.insertOne(event("h", 1, "events"));
            elsewhere.insertOne(event("h", 1, "other database"));
            audit.insertOne(event("h", 1, "audit"));

            assertThat(take(cursor, 2)).extracting(change -> change.getNamespace().getFullName())
                .containsExactly("ferry.events", "ferry.audit");
            assertQuiet(cursor);
        }
    }

    @Test
    void aClusterStreamReportsEveryDatabaseButTheInternalOnes() {
        MongoCollection<Document> elsewhere = scenarios.client.getDatabase("other").getCollection("events");
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.client.watch().cursor()) {
            scenarios.events.insertOne(event("i", 1, "ferry"));
            scenarios.client.getDatabase("config").getCollection("settings").insertOne(new Document("internal", true));
            elsewhere.insertOne(event("i", 1, "other"));

            assertThat(take(cursor, 2)).extracting(change -> change.getNamespace().getFullName())
                .containsExactly("ferry.events", "other.events");
            assertQuiet(cursor);
        }
    }

    @Test
    void everyEventNamesItsNamespaceAndWallTime() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.insertOne(event("j", 1, "new"));
            scenarios.events.updateOne(eq("aggregateId", "j"), set("note", "updated"));
            scenarios.events.deleteOne(eq("aggregateId", "j"));

            assertThat(take(cursor, 3)).allSatisfy(change -> {
                assertThat(change.getNamespace()).isEqualTo(new MongoNamespace("ferry", "events"));
                assertThat(change.getWallTime()).isNotNull();
            });
        }
    }

    /** A dotted path reports that path; a whole embedded document set at once reports the document. */
    @Test
    void anUpdateDescribesThePathsItSetAndRemoved() {
        scenarios.events.insertOne(event("k", 1, "before").append("gone", 1)
            .append("address", new Document("city", "Ghent").append("zip", "9000"))
            .append("contact", new Document("mail", "a@b").append("phone", "1")));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.updateOne(eq("aggregateId", "k"), Updates.combine(Updates.set("address.city", "Bruges"),
                Updates.set("contact", new Document("mail", "c@d").append("phone", "1")), Updates.unset("gone"),
                Updates.set("note", "before")));

            ChangeStreamDocument<Document> update = take(cursor, 1).get(0);
            assertThat(update.getUpdateDescription().getUpdatedFields()).isEqualTo(BsonDocument.parse(
                "{'address.city': 'Bruges', contact: {mail: 'c@d', phone: '1'}}"));
            assertThat(update.getUpdateDescription().getRemovedFields()).containsExactly("gone");
            assertThat(update.getUpdateDescription().getTruncatedArrays()).isEmpty();
        }
    }

    @Test
    void findAndModifyWritesAreChangeEvents() {
        scenarios.events.insertOne(event("l", 1, "original"));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.findOneAndUpdate(eq("aggregateId", "l"), set("note", "updated"));
            scenarios.events.findOneAndReplace(eq("aggregateId", "l"), event("l", 1, "replaced"));
            scenarios.events.findOneAndUpdate(eq("aggregateId", "m"), set("version", 1),
                new FindOneAndUpdateOptions().upsert(true));
            scenarios.events.findOneAndReplace(eq("aggregateId", "n"), event("n", 1, "upserted"),
                new FindOneAndReplaceOptions().upsert(true));
            scenarios.events.findOneAndDelete(eq("aggregateId", "l"));
            scenarios.events.findOneAndDelete(eq("aggregateId", "nobody"));

            List<ChangeStreamDocument<Document>> changes = take(cursor, 5);
            assertThat(changes).extracting(ChangeStreamDocument::getOperationType).containsExactly(OperationType.UPDATE,
                OperationType.REPLACE, OperationType.INSERT, OperationType.INSERT, OperationType.DELETE);
            assertThat(changes.get(0).getUpdateDescription().getUpdatedFields())
                .isEqualTo(BsonDocument.parse("{note: 'updated'}"));
            assertThat(changes.get(2).getFullDocument()).containsEntry("aggregateId", "m");
            assertQuiet(cursor);
        }
    }

    @Test
    void anEmptyBatchCarriesAPostBatchResumeTokenAtTheEndOfTheScannedOplog() {
        List<Document> deletesOnly = List.of(new Document("$match", new Document("operationType", "delete")));
        BsonDocument moved;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                 scenarios.events.watch(deletesOnly).cursor()) {
            assertThat(cursor.tryNext()).isNull();
            BsonDocument initial = cursor.getResumeToken();
            assertThat(initial).isNotNull();
            scenarios.events.insertOne(event("o", 1, "filtered out"));

            assertThat(cursor.tryNext()).isNull();
            moved = cursor.getResumeToken();
            assertThat(moved).isNotEqualTo(initial);
        }
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> resumed =
                 scenarios.events.watch().resumeAfter(moved).cursor()) {
            scenarios.events.insertOne(event("o", 2, "after the token"));

            assertThat(take(resumed, 1).get(0).getFullDocument()).containsEntry("note", "after the token");
        }
    }

    @Test
    void everyReplyCarriesTheOperationTimeOfTheNewestWrite() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor();
             ClientSession session = scenarios.client.startSession()) {
            scenarios.events.insertOne(session, event("p", 1, "write"));
            BsonTimestamp afterWrite = session.getOperationTime();
            scenarios.events.find(session).first();
            BsonTimestamp afterRead = session.getOperationTime();

            assertThat(afterWrite).isEqualTo(take(cursor, 1).get(0).getClusterTime());
            assertThat(afterRead).isEqualTo(afterWrite);
        }
    }

    @Test
    void aDropInvalidatesTheCollectionsStreamAndADroppedDatabaseTheDatabasesStream() {
        MongoDatabase ferry = scenarios.client.getDatabase("ferry");
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> collection =
                 scenarios.events.watch().cursor();
             MongoChangeStreamCursor<ChangeStreamDocument<Document>> database = ferry.watch().cursor()) {
            scenarios.events.drop();
            ferry.getCollection("audit").insertOne(new Document("after", "drop"));
            ferry.drop();

            assertThat(take(collection, 2)).extracting(ChangeStreamDocument::getOperationType)
                .containsExactly(OperationType.DROP, OperationType.INVALIDATE);
            assertThat(take(database, 5)).extracting(ChangeStreamDocument::getOperationType).containsExactly(
                OperationType.DROP, OperationType.INSERT, OperationType.DROP, OperationType.DROP_DATABASE,
                OperationType.INVALIDATE);
        }
    }

    @Test
    void aCollectionStreamIgnoresTheDropOfAnotherCollection() {
        scenarios.client.getDatabase("ferry").getCollection("audit").insertOne(new Document("any", 1));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.client.getDatabase("ferry").getCollection("audit").drop();
            scenarios.insertSentinel();

            assertThat(untilSentinel(cursor)).isEmpty();
        }
    }

    @Test
    void aRenameIsReportedAndInvalidatesTheStreamWhichOnlyStartAfterMayContinue() {
        BsonDocument invalidate;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.renameCollection(new MongoNamespace("ferry", "archive"));

            List<ChangeStreamDocument<Document>> changes = take(cursor, 2);
            assertThat(changes.get(0).getOperationType()).isEqualTo(OperationType.RENAME);
            assertThat(changes.get(0).getDestinationNamespace()).isEqualTo(new MongoNamespace("ferry", "archive"));
            assertThat(changes.get(1).getOperationType()).isEqualTo(OperationType.INVALIDATE);
            invalidate = changes.get(1).getResumeToken();
        }
        assertThatThrownBy(() -> scenarios.events.watch().resumeAfter(invalidate).cursor())
            .isInstanceOfSatisfying(MongoCommandException.class, e -> assertThat(e.getErrorCode()).isEqualTo(260));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> next =
                 scenarios.events.watch().startAfter(invalidate).cursor()) {
            scenarios.events.insertOne(event("q", 1, "new collection"));

            assertThat(take(next, 1).get(0).getFullDocument()).containsEntry("note", "new collection");
        }
    }

    @Test
    void resumeTokensContinueExactlyAfterTheirEvent() {
        BsonDocument token;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            for (int version = 1; version <= 5; version++) {
                scenarios.events.insertOne(event("g", version, "v" + version));
            }
            token = take(cursor, 2).get(1).getResumeToken();
        }
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> resumed =
                 scenarios.events.watch().resumeAfter(token).cursor()) {
            assertThat(take(resumed, 3)).extracting(change -> change.getFullDocument().getInteger("version"))
                .containsExactly(3, 4, 5);
        }
    }

    /**
     * Writers race on the same aggregates (conflicting appends are rejected by the unique index); the stream
     * must report each aggregate's accepted versions in order, each once, and nothing rejected.
     */
    @Test
    void concurrentWritersAreReportedInCommitOrder() throws Exception {
        int writers = 6;
        int aggregates = 4;
        int appendsPerWriter = 150;
        EmbeddedMongo big = EmbeddedMongo.start(0, 100_000);
        try (ChangeStreamScenarios contended = new ChangeStreamScenarios(big.connectionString());
             MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = contended.events.watch().cursor()) {
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            List<Future<Integer>> accepted = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                int writer = w;
                accepted.add(pool.submit(() -> appendRacing(contended, writer, aggregates, appendsPerWriter)));
            }
            int total = 0;
            for (Future<Integer> f : accepted) {
                total += f.get();
            }
            pool.shutdown();
            contended.insertSentinel();

            List<ChangeStreamDocument<Document>> changes = untilSentinel(cursor);
            assertThat(changes).hasSize(total);
            Map<String, Integer> lastVersion = new HashMap<>();
            for (ChangeStreamDocument<Document> change : changes) {
                String aggregate = change.getFullDocument().getString("aggregateId");
                int version = change.getFullDocument().getInteger("version");
                assertThat(version).as("version after %s of %s", lastVersion.get(aggregate), aggregate)
                    .isEqualTo(lastVersion.getOrDefault(aggregate, 0) + 1);
                lastVersion.put(aggregate, version);
            }
        } finally {
            big.close();
        }
    }

    private static int appendRacing(ChangeStreamScenarios scenarios, int writer, int aggregates, int appends) {
        int accepted = 0;
        for (int i = 0; i < appends; i++) {
            String aggregate = "agg-" + ((writer + i) % aggregates);
            Document last = scenarios.events.find(eq("aggregateId", aggregate))
                .sort(new Document("version", -1)).limit(1).first();
            int next = last == null ? 1 : last.getInteger("version") + 1;
            try {
                scenarios.events.insertOne(event(aggregate, next, "writer " + writer));
                accepted++;
            } catch (MongoWriteException conflict) {
                // another writer took this version first
            }
        }
        return accepted;
    }
}
