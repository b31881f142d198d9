package dev.ferry.mongodb;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Filters.in;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoCommandException;
import com.mongodb.MongoWriteException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.ReturnDocument;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.OperationType;


/**
 * Every MongoDB behaviour Ferry relies on, pinned down. Runs against the embedded server, and against a real
 * replica set or Atlas when {@code FERRY_MONGODB_URI} is set: if this suite passes there, Ferry's assumptions
 * hold there.
 */
@Timeout(120)
class MongoContractIT {

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

    private static Document event(String aggregateId, int version) {
        return new Document("aggregateId", aggregateId).append("version", version);
    }

    private static List<ChangeStreamDocument<Document>> take(
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor, int count) {
        List<ChangeStreamDocument<Document>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5)).until(() -> {
            while (seen.size() < count) {
                ChangeStreamDocument<Document> change = cursor.tryNext();
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
