package dev.ferry.mongodb;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.in;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.conversions.Bson;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoNamespace;
import com.mongodb.MongoWriteException;
import com.mongodb.WriteConcern;
import com.mongodb.client.ClientSession;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.ChangeStreamPreAndPostImagesOptions;
import com.mongodb.client.model.CreateCollectionOptions;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.FindOneAndReplaceOptions;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.FullDocument;
import com.mongodb.client.model.changestream.OperationType;
import com.mongodb.client.model.changestream.UpdateDescription;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.entity.EntityChanges;
import dev.ferry.mongodb.entity.EntitySource;

/**
 * Every MongoDB behaviour Ferry relies on, pinned down. Runs against the embedded server, and against a real
 * replica set or Atlas when {@code FERRY_MONGODB_URI} is set: if this suite passes there, Ferry's assumptions
 * hold there. A few cases need what only a real deployment has (multi-document transactions, pre-images); they run
 * only with {@code FERRY_MONGODB_URI} set.
 */
@Timeout(120)
class MongoContractIT {

    /** A field that, set by an update and looked up, makes a change event of 18 MB of a document of 9 MB. */
    private static final String NINE_MB = "x".repeat(9 * 1024 * 1024);

    /** Small, so that the embedded server's history can be made to run out; harmless on a real server. */
    private static final int EMBEDDED_OPLOG_CAPACITY = 500;

    private static MongoTestDatabase mongo;
    private static MongoDatabase database;
    private MongoCollection<Document> events;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_contract", EMBEDDED_OPLOG_CAPACITY);
        database = mongo.database().withWriteConcern(WriteConcern.MAJORITY);
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @BeforeEach
    void freshCollection() {
        events = database.getCollection("events_" + System.nanoTime());
        events.createIndex(Indexes.ascending("aggregateId", "version"), new IndexOptions().unique(true));
    }

    @Test
    void aChangeStreamReportsEachInsertWithItsFullDocumentInOrder() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            for (int version = 1; version <= 3; version++) {
                events.insertOne(event("a", version));
            }
            List<ChangeStreamDocument<Document>> changes = take(cursor, 3);

            assertThat(changes).extracting(ChangeStreamDocument::getOperationType).containsOnly(OperationType.INSERT);
            assertThat(changes).extracting(change -> change.getFullDocument().getInteger("version"))
                .containsExactly(1, 2, 3);
            assertThat(changes).allSatisfy(change -> {
                assertThat(change.getResumeToken()).isNotNull();
                assertThat(change.getDocumentKey()).containsKey("_id");
            });
        }
    }

    @Test
    void aMatchStageFiltersTheStreamOnTheServer() {
        List<Document> pipeline = List.of(new Document("$match", new Document("operationType", "insert")
            .append("fullDocument.aggregateType", "patient")));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch(pipeline).cursor()) {
            events.insertOne(event("p1", 1).append("aggregateType", "patient"));
            events.insertOne(event("x1", 1).append("aggregateType", "practitioner"));
            events.deleteOne(eq("aggregateId", "x1"));
            events.insertOne(event("p2", 1).append("aggregateType", "patient"));

            assertThat(take(cursor, 2)).extracting(change -> change.getFullDocument().getString("aggregateId"))
                .containsExactly("p1", "p2");
        }
    }

    @Test
    void resumeAfterAndStartAfterContinueJustAfterTheToken() {
        BsonDocument secondToken;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            for (int version = 1; version <= 4; version++) {
                events.insertOne(event("r", version));
            }
            secondToken = take(cursor, 2).get(1).getResumeToken();
        }
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> resumed =
                 events.watch().resumeAfter(secondToken).cursor();
             MongoChangeStreamCursor<ChangeStreamDocument<Document>> started =
                 events.watch().startAfter(secondToken).cursor()) {
            assertThat(take(resumed, 2)).extracting(change -> change.getFullDocument().getInteger("version"))
                .containsExactly(3, 4);
            assertThat(take(started, 2)).extracting(change -> change.getFullDocument().getInteger("version"))
                .containsExactly(3, 4);
        }
    }

    @Test
    void aDuplicateOnAUniqueIndexFailsWithCode11000AndStoresNothing() {
        events.insertOne(event("d", 1));

        assertThatThrownBy(() -> events.insertOne(event("d", 1).append("loser", true)))
            .isInstanceOfSatisfying(MongoWriteException.class, e -> {
                assertThat(e.getError().getCode()).isEqualTo(11000);
                assertThat(e.getError().getCategory()).isEqualTo(ErrorCategory.DUPLICATE_KEY);
            });
        assertThat(events.countDocuments(eq("aggregateId", "d"))).isEqualTo(1);
        assertThat(events.countDocuments(eq("loser", true))).isZero();
    }

    @Test
    void findOneAndUpdateIsACompareAndSetWithExactlyOneWinner() throws Exception {
        MongoCollection<Document> leases = database.getCollection("leases_" + System.nanoTime());
        leases.insertOne(new Document("_id", "relay").append("epoch", 0L).append("owner", "nobody"));
        int contenders = 8;

        List<Document> results = race(contenders, contender -> leases.findOneAndUpdate(
            and(eq("_id", "relay"), eq("epoch", 0L)),
            Updates.combine(Updates.set("owner", "contender-" + contender), Updates.inc("epoch", 1L)),
            new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER)));

        List<Document> winners = results.stream().filter(r -> r != null).toList();
        assertThat(winners).hasSize(1);
        assertThat(leases.find(eq("_id", "relay")).first())
            .containsEntry("epoch", 1L).containsEntry("owner", winners.get(0).getString("owner"));
    }

    @Test
    void anUpsertingCompareAndSetOnAMissingDocumentHasExactlyOneWinner() throws Exception {
        MongoCollection<Document> leases = database.getCollection("leases_" + System.nanoTime());
        int contenders = 8;

        List<Object> results = race(contenders, contender -> {
            try {
                return leases.findOneAndUpdate(and(eq("_id", "relay"), eq("epoch", 0L)),
                    Updates.combine(Updates.set("owner", "contender-" + contender), Updates.inc("epoch", 1L)),
                    new FindOneAndUpdateOptions().upsert(true).returnDocument(ReturnDocument.AFTER));
            } catch (MongoCommandException e) {
                // losing the race on _id: E11000, the caller treats it as "not acquired"
                return e.getErrorCode();
            }
        });

        assertThat(results.stream().filter(Document.class::isInstance)).hasSize(1);
        assertThat(results.stream().filter(r -> !(r instanceof Document))).allMatch(r -> r == null
            || Integer.valueOf(11000).equals(r));
        assertThat(leases.countDocuments()).isEqualTo(1);
    }

    @Test
    void aConditionalUpdateByVersionAppliesOnce() {
        MongoCollection<Document> readModel = database.getCollection("read_model_" + System.nanoTime());
        readModel.insertOne(new Document("_id", "patient-1").append("version", 1L).append("name", "Ada"));

        long first = readModel.updateOne(and(eq("_id", "patient-1"), eq("version", 1L)),
            Updates.combine(Updates.set("name", "Ada L."), Updates.set("version", 2L))).getModifiedCount();
        long replay = readModel.updateOne(and(eq("_id", "patient-1"), eq("version", 1L)),
            Updates.combine(Updates.set("name", "Ada L."), Updates.set("version", 2L))).getMatchedCount();

        assertThat(first).isEqualTo(1);
        assertThat(replay).isZero();
        assertThat(readModel.find(eq("_id", "patient-1")).first()).containsEntry("version", 2L);
    }

    @Test
    void aFindByAnInListReturnsEveryMatch() {
        events.insertMany(List.of(event("i1", 1), event("i2", 1), event("i3", 1)));

        assertThat(events.countDocuments(in("aggregateId", List.of("i1", "i3")))).isEqualTo(2);
    }

    @Test
    void startingBeforeTheOplogWindowFailsWithHistoryLost286() {
        // Push the embedded server's window past its start; a real server's oplog never reaches back to 1970.
        List<Document> filler = new ArrayList<>();
        for (int i = 0; i < EMBEDDED_OPLOG_CAPACITY + 50; i++) {
            filler.add(event("filler", i + 1));
        }
        events.insertMany(filler);

        assertThatThrownBy(() -> {
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                     events.watch().startAtOperationTime(new BsonTimestamp(1, 1)).cursor()) {
                cursor.tryNext();
            }
        }).isInstanceOfSatisfying(MongoCommandException.class,
            e -> assertThat(e.getErrorCode()).isEqualTo(286));
    }

    @Test
    void aMatchOnTheStreamSeesNothingOfOtherCollections() {
        MongoCollection<Document> other = database.getCollection("other_" + System.nanoTime());
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                 events.watch(List.of(Aggregates.match(new Document("operationType", "insert")))).cursor()) {
            other.insertOne(event("elsewhere", 1));
            events.insertOne(event("here", 1));

            assertThat(take(cursor, 1).get(0).getFullDocument()).containsEntry("aggregateId", "here");
        }
    }

    // ---- streams over several collections ----

    @Test
    void aDatabaseStreamReportsTheCollectionsItsNamespaceMatchSelects() {
        MongoCollection<Document> other = database.getCollection("other_" + System.nanoTime());
        MongoCollection<Document> ignored = database.getCollection("ignored_" + System.nanoTime());
        List<Bson> pipeline = List.of(Aggregates.match(in("ns.coll",
            List.of(events.getNamespace().getCollectionName(), other.getNamespace().getCollectionName()))));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = database.watch(pipeline).cursor()) {
            events.insertOne(event("db-1", 1));
            ignored.insertOne(event("db-2", 1));
            other.insertOne(event("db-3", 1));

            assertThat(take(cursor, 2)).extracting(ChangeStreamDocument::getNamespace)
                .containsExactly(events.getNamespace(), other.getNamespace());
        }
    }

    @Test
    void aClusterStreamReportsEveryDatabaseItsNamespaceMatchSelects() {
        MongoDatabase second = mongo.client().getDatabase(database.getName() + "_2");
        MongoCollection<Document> elsewhere = second.getCollection(events.getNamespace().getCollectionName());
        List<Bson> pipeline = List.of(Aggregates.match(and(
            in("ns.db", List.of(database.getName(), second.getName())),
            eq("ns.coll", events.getNamespace().getCollectionName()))));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = mongo.client().watch(pipeline).cursor()) {
            events.insertOne(event("cluster-1", 1));
            database.getCollection("unwatched_" + System.nanoTime()).insertOne(event("cluster-2", 1));
            elsewhere.insertOne(event("cluster-3", 1));

            assertThat(take(cursor, 2)).extracting(ChangeStreamDocument::getNamespace)
                .containsExactly(events.getNamespace(), elsewhere.getNamespace());
        } finally {
            second.drop();
        }
    }

    @Test
    void everyEventCarriesItsNamespaceAndWallTime() {
        Instant before = Instant.now().minusSeconds(60);
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.insertOne(event("w", 1));
            events.updateOne(eq("aggregateId", "w"), Updates.set("note", "updated"));
            events.replaceOne(eq("aggregateId", "w"), event("w", 1).append("note", "replaced"));
            events.deleteOne(eq("aggregateId", "w"));

            assertThat(take(cursor, 4)).allSatisfy(change -> {
                assertThat(change.getNamespace()).isEqualTo(events.getNamespace());
                assertThat(change.getWallTime()).isNotNull();
                assertThat(Instant.ofEpochMilli(change.getWallTime().getValue()))
                    .isBetween(before, Instant.now().plusSeconds(60));
            });
        }
    }

    // ---- every write command ----

    @Test
    void insertOneAndInsertManyReportOneInsertPerDocument() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.insertOne(new Document("_id", "i-1").append("aggregateId", "i").append("version", 1));
            events.insertMany(List.of(new Document("_id", "i-2").append("aggregateId", "i").append("version", 2),
                new Document("_id", "i-3").append("aggregateId", "i").append("version", 3)));

            List<ChangeStreamDocument<Document>> changes = take(cursor, 3);
            assertThat(changes).extracting(ChangeStreamDocument::getOperationType).containsOnly(OperationType.INSERT);
            assertThat(changes).extracting(change -> change.getDocumentKey().getString("_id").getValue())
                .containsExactly("i-1", "i-2", "i-3");
        }
    }

    @Test
    void anUpdateOneCarriesItsIdAndAnUpdateDescriptionAndTheDocumentOnLookup() {
        events.insertOne(new Document("_id", "u-1").append("aggregateId", "u").append("version", 1)
            .append("note", "before").append("obsolete", true)
            .append("address", new Document("city", "Ghent").append("zip", "9000")));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> plain = events.watch().cursor();
             MongoChangeStreamCursor<ChangeStreamDocument<Document>> lookedUp =
                 events.watch().fullDocument(FullDocument.UPDATE_LOOKUP).cursor()) {
            events.updateOne(eq("_id", "u-1"), Updates.combine(Updates.set("note", "after"), Updates.inc("version", 1),
                Updates.unset("obsolete"), Updates.set("address.city", "Bruges")));

            ChangeStreamDocument<Document> update = take(plain, 1).get(0);
            assertThat(update.getOperationType()).isEqualTo(OperationType.UPDATE);
            assertThat(update.getDocumentKey()).isEqualTo(new BsonDocument("_id", new BsonString("u-1")));
            assertThat(update.getFullDocument()).isNull();
            UpdateDescription description = update.getUpdateDescription();
            assertThat(description.getUpdatedFields()).isEqualTo(new BsonDocument("note", new BsonString("after"))
                .append("version", new BsonInt32(2)).append("address.city", new BsonString("Bruges")));
            assertThat(description.getRemovedFields()).containsExactly("obsolete");

            assertThat(take(lookedUp, 1).get(0).getFullDocument())
                .containsEntry("note", "after").containsEntry("version", 2).doesNotContainKey("obsolete");
        }
    }

    @Test
    void anUpdateManyReportsAnUpdatePerModifiedDocument() {
        events.insertMany(List.of(new Document("_id", "m-1").append("aggregateId", "m").append("version", 1),
            new Document("_id", "m-2").append("aggregateId", "m").append("version", 2),
            new Document("_id", "n-1").append("aggregateId", "n").append("version", 1)));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.updateMany(eq("aggregateId", "m"), Updates.set("seen", true));
            events.insertOne(event("sentinel", 1));

            List<ChangeStreamDocument<Document>> changes = take(cursor, 3);
            assertThat(changes.subList(0, 2)).allSatisfy(change -> {
                assertThat(change.getOperationType()).isEqualTo(OperationType.UPDATE);
                assertThat(change.getUpdateDescription().getUpdatedFields())
                    .isEqualTo(BsonDocument.parse("{seen: true}"));
            });
            assertThat(changes.subList(0, 2)).extracting(change -> change.getDocumentKey().getString("_id").getValue())
                .containsExactlyInAnyOrder("m-1", "m-2");
            assertThat(changes.get(2).getOperationType()).isEqualTo(OperationType.INSERT);
        }
    }

    @Test
    void aReplaceOneIsAReplaceEventWithTheNewDocument() {
        events.insertOne(new Document("_id", "r-1").append("aggregateId", "r").append("version", 1));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.replaceOne(eq("_id", "r-1"), event("r", 1).append("note", "replacement"));

            ChangeStreamDocument<Document> replace = take(cursor, 1).get(0);
            assertThat(replace.getOperationType()).isEqualTo(OperationType.REPLACE);
            assertThat(replace.getDocumentKey()).isEqualTo(new BsonDocument("_id", new BsonString("r-1")));
            assertThat(replace.getFullDocument()).containsEntry("note", "replacement").containsEntry("_id", "r-1");
        }
    }

    @Test
    void deleteOneAndDeleteManyReportOneDeletePerDocument() {
        events.insertMany(List.of(new Document("_id", "d-1").append("aggregateId", "x").append("version", 1),
            new Document("_id", "d-2").append("aggregateId", "y").append("version", 1),
            new Document("_id", "d-3").append("aggregateId", "y").append("version", 2)));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.deleteOne(eq("_id", "d-1"));
            events.deleteMany(eq("aggregateId", "y"));

            List<ChangeStreamDocument<Document>> changes = take(cursor, 3);
            assertThat(changes).extracting(ChangeStreamDocument::getOperationType).containsOnly(OperationType.DELETE);
            assertThat(changes.get(0).getDocumentKey().getString("_id").getValue()).isEqualTo("d-1");
            assertThat(changes.subList(1, 3)).extracting(change -> change.getDocumentKey().getString("_id").getValue())
                .containsExactlyInAnyOrder("d-2", "d-3");
        }
    }

    @Test
    void aBulkWriteReportsEachOfItsWritesInOrder() {
        events.insertOne(new Document("_id", "b-1").append("aggregateId", "b").append("version", 1));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.bulkWrite(List.of(
                new InsertOneModel<>(new Document("_id", "b-2").append("aggregateId", "b").append("version", 2)),
                new UpdateOneModel<>(eq("_id", "b-1"), Updates.set("note", "updated")),
                new ReplaceOneModel<>(eq("_id", "b-2"), event("b", 2).append("note", "replaced")),
                new DeleteOneModel<>(eq("_id", "b-1")),
                new UpdateOneModel<>(eq("_id", "b-3"), Updates.combine(Updates.set("aggregateId", "b"),
                    Updates.set("version", 3)), new UpdateOptions().upsert(true))));

            List<ChangeStreamDocument<Document>> changes = take(cursor, 5);
            assertThat(changes).extracting(ChangeStreamDocument::getOperationType).containsExactly(
                OperationType.INSERT, OperationType.UPDATE, OperationType.REPLACE, OperationType.DELETE,
                OperationType.INSERT);
            assertThat(changes).extracting(change -> change.getDocumentKey().getString("_id").getValue())
                .containsExactly("b-2", "b-1", "b-2", "b-1", "b-3");
            assertThat(changes.get(4).getFullDocument()).containsEntry("version", 3);
        }
    }

    /** mongoose's findByIdAndUpdate and friends are findAndModify commands: each write is an ordinary event. */
    @Test
    void findOneAndUpdateReplaceAndDeleteReportTheirWritesAndUpsertsAreInserts() {
        events.insertOne(new Document("_id", "f-1").append("aggregateId", "f").append("version", 1));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            assertThat(events.findOneAndUpdate(eq("_id", "missing"), Updates.set("note", "none"))).isNull();
            events.findOneAndUpdate(eq("_id", "f-1"), Updates.combine(Updates.set("note", "updated"),
                Updates.inc("version", 1)));
            events.findOneAndReplace(eq("_id", "f-1"), event("f", 2).append("note", "replaced"));
            events.findOneAndUpdate(eq("_id", "f-2"), Updates.combine(Updates.set("aggregateId", "f"),
                Updates.set("version", 3)), new FindOneAndUpdateOptions().upsert(true));
            events.findOneAndReplace(eq("_id", "f-3"), event("f", 4), new FindOneAndReplaceOptions().upsert(true));
            events.findOneAndDelete(eq("_id", "f-1"));

            List<ChangeStreamDocument<Document>> changes = take(cursor, 5);
            assertThat(changes).extracting(ChangeStreamDocument::getOperationType).containsExactly(
                OperationType.UPDATE, OperationType.REPLACE, OperationType.INSERT, OperationType.INSERT,
                OperationType.DELETE);
            assertThat(changes).extracting(change -> change.getDocumentKey().getString("_id").getValue())
                .containsExactly("f-1", "f-1", "f-2", "f-3", "f-1");
            assertThat(changes.get(0).getUpdateDescription().getUpdatedFields())
                .isEqualTo(BsonDocument.parse("{note: 'updated', version: 2}"));
            assertThat(changes.get(1).getFullDocument()).containsEntry("note", "replaced");
            assertThat(changes.get(3).getFullDocument()).containsEntry("version", 4);
        }
    }

    // ---- positions: post-batch resume tokens, operation times ----

    /**
     * While a filtered stream sees nothing, its resume token still moves on with the oplog it has scanned: a
     * checkpoint taken from it never falls behind the oplog window, and resuming skips what was scanned.
     */
    @Test
    void anEmptyBatchReportsAPostBatchResumeTokenThatMovesOn() {
        List<Bson> deletesOnly = List.of(Aggregates.match(eq("operationType", "delete")));
        BsonDocument moved;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch(deletesOnly).cursor()) {
            assertThat(cursor.tryNext()).isNull();
            BsonDocument initial = cursor.getResumeToken();
            assertThat(initial).isNotNull();
            events.insertMany(List.of(event("quiet", 1), event("quiet", 2), event("quiet", 3)));

            assertThat(cursor.tryNext()).isNull();
            moved = cursor.getResumeToken();
            assertThat(moved).isNotNull().isNotEqualTo(initial);
        }
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> resumed =
                 events.watch().resumeAfter(moved).cursor()) {
            events.insertOne(event("loud", 1));

            assertThat(take(resumed, 1).get(0).getFullDocument()).containsEntry("aggregateId", "loud");
        }
    }

    /**
     * A reply's operationTime is the time of the newest write it reflects; for a write, that write. A stream started
     * at it ({@code startAtOperationTime} is inclusive) begins with that write.
     */
    @Test
    void aStreamStartedAtTheOperationTimeOfAWriteReplyBeginsWithThatWrite() {
        events.insertOne(event("before", 1));
        BsonTimestamp operationTime;
        try (ClientSession session = mongo.client().startSession()) {
            events.insertOne(session, event("marker", 1));
            operationTime = session.getOperationTime();
        }
        assertThat(operationTime).isNotNull();
        events.insertOne(event("after", 1));

        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                 events.watch().startAtOperationTime(operationTime).cursor()) {
            List<ChangeStreamDocument<Document>> changes = take(cursor, 2);
            assertThat(changes).extracting(change -> change.getFullDocument().getString("aggregateId"))
                .containsExactly("marker", "after");
            assertThat(changes.get(0).getClusterTime()).isEqualTo(operationTime);
        }
    }

    // ---- the watched collection goes away ----

    /**
     * A drop ends a collection's stream: {@code drop}, then {@code invalidate}, and the cursor closes. A stream whose
     * {@code $match} filters the invalidate out is closed all the same, silently; its last resume token is the
     * invalidate's, and {@code startAfter} it (never {@code resumeAfter}) reads the re-created collection. Ferry's
     * relay watches its commits collection exactly so ({@code $match: {operationType: "insert"}}): its change feed
     * notices the closed cursor and reopens after that token (DroppedCollectionIT). See ferry-embedded/README.md.
     */
    @Test
    void droppingAWatchedCollectionReportsDropThenInvalidateAndClosesEvenAFilteredStream() {
        List<Bson> insertsOnly = List.of(Aggregates.match(eq("operationType", "insert")));
        BsonDocument invalidateToken;
        BsonDocument filteredStreamToken;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> all = events.watch().cursor();
             MongoChangeStreamCursor<ChangeStreamDocument<Document>> inserts = events.watch(insertsOnly).cursor()) {
            events.insertOne(event("doomed", 1));
            events.drop();

            List<ChangeStreamDocument<Document>> changes = take(all, 3);
            assertThat(changes).extracting(ChangeStreamDocument::getOperationType)
                .containsExactly(OperationType.INSERT, OperationType.DROP, OperationType.INVALIDATE);
            assertThat(changes.get(1).getNamespace()).isEqualTo(events.getNamespace());
            invalidateToken = changes.get(2).getResumeToken();

            assertThat(take(inserts, 1).get(0).getOperationType()).isEqualTo(OperationType.INSERT);
            await().atMost(Duration.ofSeconds(30)).until(() -> inserts.tryNext() == null
                && invalidateToken.equals(inserts.getResumeToken()));
            filteredStreamToken = inserts.getResumeToken();
        }
        assertThatThrownBy(() -> events.watch().resumeAfter(invalidateToken).cursor().tryNext())
            .isInstanceOf(MongoCommandException.class);
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> next =
                 events.watch(insertsOnly).startAfter(filteredStreamToken).cursor()) {
            events.insertOne(event("reborn", 1));

            assertThat(take(next, 1).get(0).getFullDocument()).containsEntry("aggregateId", "reborn");
        }
    }

    @Test
    void renamingAWatchedCollectionReportsRenameThenInvalidate() {
        MongoNamespace renamed = new MongoNamespace(database.getName(), "renamed_" + System.nanoTime());
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.insertOne(event("moving", 1));
            events.renameCollection(renamed);

            List<ChangeStreamDocument<Document>> changes = take(cursor, 3);
            assertThat(changes).extracting(ChangeStreamDocument::getOperationType)
                .containsExactly(OperationType.INSERT, OperationType.RENAME, OperationType.INVALIDATE);
            assertThat(changes.get(1).getNamespace()).isEqualTo(events.getNamespace());
            assertThat(changes.get(1).getDestinationNamespace()).isEqualTo(renamed);
        }
    }

    /**
     * An entity's versions grow per document across an update, a delete and a re-create of the same id: each change
     * has a later cluster time than the one before it.
     */
    @Test
    void anEntitysVersionsGrowAcrossUpdateDeleteAndRecreate() {
        MongoCollection<Document> patients = database.getCollection("patients_" + System.nanoTime());
        try (MongoChangeStreamCursor<ChangeStreamDocument<RawBsonDocument>> cursor = patients
            .watch(RawBsonDocument.class).fullDocument(FullDocument.UPDATE_LOOKUP).cursor()) {
            patients.insertOne(new Document("_id", "p-1").append("n", 1));
            patients.updateOne(eq("_id", "p-1"), Updates.inc("n", 1));
            patients.deleteOne(eq("_id", "p-1"));
            patients.insertOne(new Document("_id", "p-1").append("n", 1));

            List<dev.ferry.core.relay.spi.Change> read = entities(patients).read(take(cursor, 4));
            List<String> versions = read.stream()
                .map(change -> ((dev.ferry.core.relay.spi.Change.EntityChanged) change).change().version().wire()).toList();
            assertThat(versions).isSortedAccordingTo(String::compareTo).doesNotHaveDuplicates();
            assertThat(read).extracting(change -> ((dev.ferry.core.relay.spi.Change.EntityChanged) change).change()
                .operation().wireName()).containsExactly("create", "update", "delete", "create");
        }
    }

    // ---- change events over 16 MB ----

    /**
     * A real server returns a change event of up to 16 MiB + 16 KiB (its internal BSON limit): an insert of a document
     * of nearly the 16 MiB a document may have still fits its event, so a stream of inserts without lookups (an event
     * store) never meets the limit.
     */
    @Test
    void anInsertOfANearly16MibDocumentStillFitsItsChangeEvent() {
        String payload = "m".repeat(16 * 1024 * 1024 - 1024);
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor()) {
            events.insertOne(new Document("_id", "max").append("payload", payload));

            ChangeStreamDocument<Document> insert = take(cursor, 1).get(0);
            assertThat(insert.getDocumentKey()).isEqualTo(new BsonDocument("_id", new BsonString("max")));
            assertThat(insert.getFullDocument().getString("payload")).hasSize(payload.length());
        }
    }

    /**
     * An event over that (an update setting a 9 MB field, looked up: 9 MB of update description and the 9 MB document)
     * fails the read with BSONObjectTooLarge (10334), the events before it in the same batch with it, and again on
     * every read from the same point: a stream cannot get past it by retrying. The stream without its lookup and with a
     * {@code $project} leaving out the large fields returns it small, with its resume token and documentKey, and a
     * stream started after that token goes on with the next event. Ferry's change source relies on exactly this.
     */
    @Test
    void aChangeEventOver16MbFailsEveryReadOfItWith10334UntilAProjectionLeavesItsLargeFieldsOut() {
        MongoCollection<Document> patients = database.getCollection("patients_" + System.nanoTime());
        BsonDocument beforeTheWrites;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                 patients.watch().fullDocument(FullDocument.UPDATE_LOOKUP).cursor()) {
            assertThat(cursor.tryNext()).isNull();
            beforeTheWrites = cursor.getResumeToken();
            patients.insertOne(new Document("_id", "p-1").append("n", 1));
            patients.updateOne(eq("_id", "p-1"), Updates.set("payload", NINE_MB));
            patients.insertOne(new Document("_id", "p-2").append("n", 1));

            assertThatThrownBy(cursor::tryNext).satisfies(MongoContractIT::isBsonObjectTooLarge);
            assertThat(cursor.getResumeToken()).as("nothing of the failed batch was returned")
                .isEqualTo(beforeTheWrites);
        }
        BsonDocument afterTheFirstInsert;
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> oneByOne = patients.watch()
            .fullDocument(FullDocument.UPDATE_LOOKUP).startAfter(beforeTheWrites).batchSize(1).cursor()) {
            assertThat(take(oneByOne, 1).get(0).getDocumentKey().getString("_id").getValue()).isEqualTo("p-1");
            afterTheFirstInsert = oneByOne.getResumeToken();

            assertThatThrownBy(oneByOne::tryNext).satisfies(MongoContractIT::isBsonObjectTooLarge);
        }
        assertThatThrownBy(() -> {
            try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> again = patients.watch()
                .fullDocument(FullDocument.UPDATE_LOOKUP).startAfter(afterTheFirstInsert).cursor()) {
                again.tryNext();
            }
        }).satisfies(MongoContractIT::isBsonObjectTooLarge);

        BsonDocument theLargeOne;
        List<Bson> withoutLargeFields = List.of(Aggregates.project(
            Projections.exclude("fullDocument", "fullDocumentBeforeChange", "updateDescription")));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> projected =
                 patients.watch(withoutLargeFields).startAfter(afterTheFirstInsert).cursor()) {
            List<ChangeStreamDocument<Document>> changes = take(projected, 2);
            assertThat(changes).extracting(ChangeStreamDocument::getOperationType)
                .containsExactly(OperationType.UPDATE, OperationType.INSERT);
            assertThat(changes).extracting(change -> change.getDocumentKey().getString("_id").getValue())
                .containsExactly("p-1", "p-2");
            assertThat(changes.get(0).getUpdateDescription()).isNull();
            assertThat(changes.get(1).getFullDocument()).isNull();
            theLargeOne = changes.get(0).getResumeToken();
        }
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> after = patients.watch()
            .fullDocument(FullDocument.UPDATE_LOOKUP).startAfter(theLargeOne).cursor()) {
            assertThat(take(after, 1).get(0).getFullDocument()).containsEntry("_id", "p-2").containsEntry("n", 1);
        }
    }

    /**
     * Ferry's change source meets such an event in a batch among others: it reads the change before it, dead-letters it
     * once by its document's id (OVERSIZED) and reads the change after it, without a restart; so does a feed reopened
     * from a checkpoint before it (where a relay restarting would reopen).
     */
    @Test
    void theChangeSourceDeadLettersAChangeEventOver16MbByItsIdAndReadsTheChangesAroundIt() {
        MongoCollection<Document> patients = database.getCollection("patients_" + System.nanoTime());
        MongoChangeSource source = changeSource(patients, false);
        ResumeToken beforeTheWrites;
        try (ChangeSource.ChangeFeed feed = source.open(new StartPosition.Now())) {
            assertThat(feed.poll()).isEmpty();
            beforeTheWrites = feed.position();
            patients.insertOne(new Document("_id", "p-1").append("n", 1));
            patients.updateOne(eq("_id", "p-1"), Updates.set("payload", NINE_MB));
            patients.insertOne(new Document("_id", "p-2").append("n", 1));

            assertReadAroundTheLargeEvent(source, feed, "update");
        }
        try (ChangeSource.ChangeFeed fromTheCheckpoint = source.open(new StartPosition.AfterToken(beforeTheWrites))) {
            assertReadAroundTheLargeEvent(source, fromTheCheckpoint, "update");
        }
    }

    /**
     * A batch that failed on such an event is read again one event at a time only as far as it reached: an event that
     * has shrunk meanwhile (an update lookup reads the document as it is when read) is read as it now is, and whole
     * batches resume.
     */
    @Test
    void theChangeSourceReadsWholeBatchesAgainOnceAnEventThatFailedThemHasShrunk() {
        MongoCollection<Document> patients = database.getCollection("patients_" + System.nanoTime());
        ChangeStreamTail.Settings twoAtATime = new ChangeStreamTail.Settings(2, Duration.ofMillis(500),
            Duration.ofMillis(1), Duration.ofMillis(25));
        try (ChangeSource.ChangeFeed feed = changeSource(patients, false, twoAtATime).open(new StartPosition.Now())) {
            assertThat(feed.poll()).isEmpty();
            patients.insertOne(new Document("_id", "p-1").append("n", 1));
            patients.updateOne(eq("_id", "p-1"), Updates.set("payload", NINE_MB));
            for (String id : List.of("p-2", "p-3", "p-4")) {
                patients.insertOne(new Document("_id", id).append("n", 1));
            }
            assertThat(feed.poll()).as("the batch of p-1's insert and update failed whole").isEmpty();
            patients.updateOne(eq("_id", "p-1"), Updates.unset("payload"));

            List<Integer> batchSizes = new ArrayList<>();
            List<Change> read = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (read.size() < 6 && System.nanoTime() < deadline) {
                List<Change> batch = feed.poll();
                if (!batch.isEmpty()) {
                    batchSizes.add(batch.size());
                    read.addAll(batch);
                }
            }
            assertThat(read).allSatisfy(change -> assertThat(change).isInstanceOf(Change.EntityChanged.class));
            assertThat(read).extracting(change -> ((Change.EntityChanged) change).change().key() + " "
                + ((Change.EntityChanged) change).change().operation().wireName())
                .containsExactly("p-1 create", "p-1 update", "p-2 create", "p-3 create", "p-4 create", "p-1 update");
            assertThat(batchSizes).startsWith(1, 1);
            assertThat(batchSizes.subList(2, batchSizes.size())).contains(2);
        }
    }

    /**
     * With pre-images (a real MongoDB 6.0+; the embedded server keeps none) a small update of a 9 MB document makes an
     * 18 MB event: the document before and after it. The insert itself fits its event but not a broker's record.
     */
    @Test
    void theChangeSourceDeadLettersASmallUpdateWhosePreAndPostImagesMakeItOver16Mb() {
        assumeFalse(mongo.mongo().isEmbedded(), "pre-images need FERRY_MONGODB_URI (MongoDB 6.0+)");
        String name = "patients_" + System.nanoTime();
        database.createCollection(name, new CreateCollectionOptions()
            .changeStreamPreAndPostImagesOptions(new ChangeStreamPreAndPostImagesOptions(true)));
        MongoCollection<Document> patients = database.getCollection(name);
        MongoChangeSource source = changeSource(patients, true);
        try (ChangeSource.ChangeFeed feed = source.open(new StartPosition.Now())) {
            assertThat(feed.poll()).isEmpty();
            patients.insertOne(new Document("_id", "p-1").append("n", 1).append("payload", NINE_MB));
            patients.updateOne(eq("_id", "p-1"), Updates.set("n", 2));
            patients.insertOne(new Document("_id", "p-2").append("n", 1));

            List<Change> read = readAtLeast(feed, 3);
            assertThat(read).hasSize(3);
            assertThat(read.get(0)).isInstanceOfSatisfying(Change.Refused.class, insert -> {
                assertThat(insert.cause()).isEqualTo(Change.Refused.Cause.OVERSIZED);
                assertThat(insert.reason()).contains("as a record");
            });
            assertOversizedEvent(read.get(1), "update");
            assertThat(read.get(2)).isInstanceOfSatisfying(Change.EntityChanged.class,
                created -> assertThat(created.change().key()).isEqualTo("p-2"));
        }
    }

    // ---- only on a real deployment ----

    /** The embedded server has no transactions; a real replica set reports a transaction's writes at one time. */
    @Test
    void allEventsOfOneTransactionShareAClusterTime() {
        assumeFalse(mongo.mongo().isEmbedded(), "multi-document transactions need FERRY_MONGODB_URI");
        events.insertOne(event("warm", 1)); // creates the collection outside the transaction
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = events.watch().cursor();
             ClientSession session = mongo.client().startSession()) {
            session.withTransaction(() -> {
                events.insertOne(session, event("tx", 1));
                events.insertOne(session, event("tx", 2));
                return null;
            });

            List<ChangeStreamDocument<Document>> changes = take(cursor, 2);
            assertThat(changes.get(0).getClusterTime()).isEqualTo(changes.get(1).getClusterTime());
        }
    }

    /**
     * Two updates of one document inside one transaction share a cluster time; the entity's versions still grow,
     * by each change's place in the transaction (read from the real server's resume tokens).
     */
    @Test
    void twoUpdatesOfOneDocumentInOneTransactionShareAClusterTimeButNotAVersion() {
        assumeFalse(mongo.mongo().isEmbedded(), "multi-document transactions need FERRY_MONGODB_URI");
        MongoCollection<Document> patients = database.getCollection("patients_" + System.nanoTime());
        patients.insertOne(new Document("_id", "p-1").append("n", 0)); // creates the collection outside the transaction
        try (MongoChangeStreamCursor<ChangeStreamDocument<RawBsonDocument>> cursor = patients
            .watch(RawBsonDocument.class).fullDocument(FullDocument.UPDATE_LOOKUP).cursor();
             ClientSession session = mongo.client().startSession()) {
            session.withTransaction(() -> {
                patients.updateOne(session, eq("_id", "p-1"), Updates.inc("n", 1));
                patients.updateOne(session, eq("_id", "p-1"), Updates.inc("n", 1));
                return null;
            });

            List<ChangeStreamDocument<RawBsonDocument>> changes = take(cursor, 2);
            assertThat(changes.get(0).getClusterTime()).isEqualTo(changes.get(1).getClusterTime());
            List<dev.ferry.core.relay.spi.Change> read = entities(patients).read(changes);
            assertThat(read).allSatisfy(change ->
                assertThat(change).isInstanceOf(dev.ferry.core.relay.spi.Change.EntityChanged.class));
            String first = ((dev.ferry.core.relay.spi.Change.EntityChanged) read.get(0)).change().version().wire();
            String second = ((dev.ferry.core.relay.spi.Change.EntityChanged) read.get(1)).change().version().wire();
            assertThat(first).isLessThan(second);
        }
    }

    private static MongoChangeSource changeSource(MongoCollection<Document> collection, boolean beforeImages) {
        return changeSource(collection, beforeImages, ChangeStreamTail.Settings.DEFAULT);
    }

    private static MongoChangeSource changeSource(MongoCollection<Document> collection, boolean beforeImages,
                                                  ChangeStreamTail.Settings settings) {
        MongoNamespace namespace = collection.getNamespace();
        WatchedCollection watched = new WatchedCollection(namespace.getDatabaseName(), namespace.getCollectionName(),
            entities(collection, beforeImages));
        return MongoChangeSource.of(mongo.client(), List.of(watched), settings);
    }

    /** The create of p-1, the large event's dead letter, the create of p-2: each once, in stream order. */
    private static void assertReadAroundTheLargeEvent(MongoChangeSource source, ChangeSource.ChangeFeed feed,
                                                      String operation) {
        List<Change> read = readAtLeast(feed, 3);
        assertThat(feed.poll()).as("nothing more: no second dead letter, no change read again").isEmpty();
        assertThat(read).hasSize(3);
        assertThat(read.get(0)).isInstanceOfSatisfying(Change.EntityChanged.class,
            created -> assertThat(created.change().key()).isEqualTo("p-1"));
        assertOversizedEvent(read.get(1), operation);
        assertThat(read.get(2)).isInstanceOfSatisfying(Change.EntityChanged.class,
            created -> assertThat(created.change().key()).isEqualTo("p-2"));
        assertThat(read).extracting(Change::token).isSortedAccordingTo(source::compare).doesNotHaveDuplicates();
        assertThat(source.compare(feed.position(), read.get(2).token())).isNotNegative();
    }

    private static void assertOversizedEvent(Change change, String operation) {
        assertThat(change).isInstanceOfSatisfying(Change.Refused.class, large -> {
            assertThat(large.cause()).isEqualTo(Change.Refused.Cause.OVERSIZED);
            assertThat(large.documentJson()).isEqualTo("{\"_id\": \"p-1\"}");
            assertThat(large.reason()).startsWith("change event over 16 MB: the " + operation + " of "
                + database.getName() + ".").contains("{\"_id\": \"p-1\"}")
                .contains("larger than MongoDB can return in a change stream");
        });
    }

    private static List<Change> readAtLeast(ChangeSource.ChangeFeed feed, int count) {
        List<Change> read = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (read.size() < count && System.nanoTime() < deadline) {
            read.addAll(feed.poll());
        }
        return read;
    }

    private static EntityChanges entities(MongoCollection<Document> collection) {
        return entities(collection, false);
    }

    private static EntityChanges entities(MongoCollection<Document> collection, boolean beforeImages) {
        MongoNamespace namespace = collection.getNamespace();
        return new EntityChanges(new EntitySource(namespace.getCollectionName(), "patient", namespace.getDatabaseName(),
            namespace.getCollectionName(), EntitySource.DEFAULT_MAX_RECORD_BYTES, beforeImages),
            database.getCollection(namespace.getCollectionName(), BsonDocument.class));
    }

    private static void isBsonObjectTooLarge(Throwable thrown) {
        assertThat(thrown).isInstanceOfSatisfying(MongoCommandException.class, e -> {
            assertThat(e.getErrorCode()).isEqualTo(10334);
            assertThat(e.getErrorCodeName()).isEqualTo("BSONObjectTooLarge");
        });
    }

    private static Document event(String aggregateId, int version) {
        return new Document("aggregateId", aggregateId).append("version", version);
    }

    private static <T> List<ChangeStreamDocument<T>> take(MongoChangeStreamCursor<ChangeStreamDocument<T>> cursor,
                                                          int count) {
        List<ChangeStreamDocument<T>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> {
            while (seen.size() < count) {
                ChangeStreamDocument<T> change = cursor.tryNext();
                if (change == null) {
                    return false;
                }
                seen.add(change);
            }
            return true;
        });
        return seen;
    }

    private interface Contender<T> {
        T attempt(int contender) throws Exception;
    }

    /** Runs every contender at once (released by one latch) and collects what each got. */
    private static <T> List<T> race(int contenders, Contender<T> contender) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(contenders);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < contenders; i++) {
                int id = i;
                Callable<T> task = () -> {
                    start.await();
                    return contender.attempt(id);
                };
                futures.add(pool.submit(task));
            }
            start.countDown();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get());
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
