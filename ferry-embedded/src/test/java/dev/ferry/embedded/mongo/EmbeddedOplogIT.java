package dev.ferry.embedded.mongo;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.set;
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
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoChangeStreamCursor;
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
        BsonDocument future = new BsonDocument("_data", new BsonString("7fffffffffffffff"));

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
