package dev.ferry.mongodb.changestream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

import org.bson.Document;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.MongoTestDatabase;

/**
 * What the headroom gauges read, through the official driver: the oplog's window from {@code local.oplog.rs} (which
 * the embedded server answers as a replica set does) and the cluster time in a change's and in a quiet stream's
 * resume token.
 */
@Timeout(60)
class OplogWindowIT {

    private static MongoTestDatabase mongo;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_oplog_window");
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @Test
    void theOplogWindowAndTheTokensClusterTimesAreReadFromTheServer() {
        Instant before = Instant.now().truncatedTo(ChronoUnit.SECONDS).minusSeconds(2);
        String name = "window_" + System.nanoTime();
        WatchedCollection watched = new WatchedCollection(mongo.database().getName(), name, DocumentReaders.commits());
        MongoChangeSource source = MongoChangeSource.of(mongo.client(), List.of(watched), ChangeStreamTail.Settings.DEFAULT);
        try (ChangeSource.ChangeFeed feed = source.open(new StartPosition.Now())) {
            mongo.database().getCollection(name, RawBsonDocument.class).insertOne(RawBsonDocument.parse("{x: 1}"));
            List<? extends dev.ferry.core.relay.spi.Change> changes = List.of();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (changes.isEmpty() && System.nanoTime() < deadline) {
                changes = feed.poll();
            }
            assertThat(changes).hasSize(1);
            ResumeToken changeToken = changes.get(0).token();
            assertThat(source.timeOf(changeToken)).get().satisfies(time ->
                assertThat(time).isBetween(before, Instant.now().plusSeconds(2)));
            assertThat(source.timeOf(feed.position())).as("a post-batch token's time").isPresent();
        }

        ChangeSource.RetainedHistory window = source.retained().orElseThrow();
        assertThat(window.oldest()).isBeforeOrEqualTo(window.newest());
        assertThat(window.newest()).isAfterOrEqualTo(before);
        assertThat(new OplogWindow(mongo.client()).read()).isPresent();
        assertThat(ResumeTokenTime.of(new ResumeToken("{\"_data\": \"01\"}"))).as("not a token's shape").isEmpty();
    }

    @Test
    void anUnreadableOplogLeavesTheWindowUnknownWithoutFailing() {
        try (com.mongodb.client.MongoClient unreachable = com.mongodb.client.MongoClients.create(
            com.mongodb.MongoClientSettings.builder()
                .applyConnectionString(new com.mongodb.ConnectionString("mongodb://127.0.0.1:1"))
                .applyToClusterSettings(cluster -> cluster.serverSelectionTimeout(200,
                    java.util.concurrent.TimeUnit.MILLISECONDS)).build())) {
            assertThat(new OplogWindow(unreachable).read()).isEmpty();
            assertThat(new OplogWindow(unreachable).read()).isEmpty();
        }
        assertThat(mongo.database().getCollection("after").insertOne(new Document("ok", 1)).wasAcknowledged()).isTrue();
    }
}
