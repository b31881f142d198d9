package dev.ferry.mongodb.changestream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;

import com.mongodb.client.model.changestream.ChangeStreamDocument;
import dev.ferry.mongodb.MongoTestDatabase;

import dev.ferry.core.relay.spi.HistoryLost;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;

/** The tail reads in batches, resumes exactly after its token, and reports lost history as {@link HistoryLost}. */
@Timeout(120)
class ChangeStreamTailIT {

    private static final int EMBEDDED_OPLOG_CAPACITY = 300;

    private static MongoTestDatabase mongo;
    private static MongoDatabase database;
    private MongoCollection<RawBsonDocument> raw;
    private MongoCollection<Document> events;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_tail", EMBEDDED_OPLOG_CAPACITY);
        database = mongo.database();
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @BeforeEach
    void freshCollection() {
        String name = "events_" + System.nanoTime();
        events = database.getCollection(name);
        raw = database.getCollection(name, RawBsonDocument.class);
    }

    @Test
    void anIdleTailReturnsEmptyBatchesThenDeliversNewChanges() {
        try (ChangeStreamTail tail = ChangeStreamTail.open(raw, List.of(), new StartPosition.Now(),
            ChangeStreamTail.Settings.DEFAULT)) {
            assertThat(tail.poll()).isEmpty();
            for (int i = 1; i <= 5; i++) {
                events.insertOne(new Document("n", i));
            }

            assertThat(readAtLeast(tail, 5)).extracting(change -> change.getFullDocument().getInt32("n").getValue())
                .containsExactly(1, 2, 3, 4, 5);
        }
    }

    @Test
    void aTailReopenedAfterItsTokenContinuesWithTheNextChange() {
        ResumeToken token;
        try (ChangeStreamTail tail = ChangeStreamTail.open(raw, List.of(), new StartPosition.Now(),
            ChangeStreamTail.Settings.DEFAULT)) {
            events.insertOne(new Document("n", 1));
            events.insertOne(new Document("n", 2));
            readAtLeast(tail, 2);
            token = tail.resumeToken();
        }
        events.insertOne(new Document("n", 3));

        try (ChangeStreamTail resumed = ChangeStreamTail.open(raw, List.of(), new StartPosition.AfterToken(token),
            ChangeStreamTail.Settings.DEFAULT)) {
            assertThat(readAtLeast(resumed, 1)).extracting(change -> change.getFullDocument().getInt32("n").getValue())
                .containsExactly(3);
        }
    }

    @Test
    void aBatchIsCappedAtMaxBatch() {
        ChangeStreamTail.Settings small = new ChangeStreamTail.Settings(3, Duration.ofMillis(200),
            Duration.ofMillis(1), Duration.ofMillis(5));
        try (ChangeStreamTail tail = ChangeStreamTail.open(raw, List.of(), new StartPosition.Now(), small)) {
            for (int i = 1; i <= 10; i++) {
                events.insertOne(new Document("n", i));
            }
            List<List<ChangeStreamDocument<RawBsonDocument>>> batches = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                List<ChangeStreamDocument<RawBsonDocument>> batch = tail.poll();
                if (!batch.isEmpty()) {
                    batches.add(batch);
                }
                return batches.stream().mapToInt(List::size).sum() >= 10;
            });

            assertThat(batches).allSatisfy(batch -> assertThat(batch).hasSizeLessThanOrEqualTo(3));
        }
    }

    @Test
    void startingBeforeTheOplogWindowIsHistoryLost() {
        List<Document> filler = new ArrayList<>();
        for (int i = 0; i < EMBEDDED_OPLOG_CAPACITY + 10; i++) {
            filler.add(new Document("n", i));
        }
        events.insertMany(filler);

        assertThatThrownBy(() -> ChangeStreamTail.open(raw, List.of(), new StartPosition.AtTime(Instant.ofEpochSecond(1)),
            ChangeStreamTail.Settings.DEFAULT).poll())
            .isInstanceOf(HistoryLost.class)
            .hasMessageContaining("286");
    }

    private static List<ChangeStreamDocument<RawBsonDocument>> readAtLeast(ChangeStreamTail tail, int count) {
        List<ChangeStreamDocument<RawBsonDocument>> seen = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            seen.addAll(tail.poll());
            return seen.size() >= count;
        });
        return seen;
    }
}
