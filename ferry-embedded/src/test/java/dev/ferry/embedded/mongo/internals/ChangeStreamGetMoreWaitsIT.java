package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.event.CommandListener;
import com.mongodb.event.CommandStartedEvent;

/**
 * A change-stream getMore on a quiet stream waits for the oplog to grow, as a real server's does, instead of being
 * answered empty at once (which made every idle tail a busy loop); and while it waits, the server serves others.
 */
@Timeout(60)
class ChangeStreamGetMoreWaitsIT {

    private WireServer server;
    private MongoClient client;
    private final List<String> getMores = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        server = new WireServer(new InetSocketAddress("127.0.0.1", 0), 10_000, Set.of("ferry_leases"));
        client = MongoClients.create(MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(server.connectionString()))
            .addCommandListener(new CommandListener() {
                @Override
                public void commandStarted(CommandStartedEvent event) {
                    if (event.getCommandName().equals("getMore")) {
                        getMores.add(event.getCommand().toJson());
                    }
                }
            })
            .build());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void aQuietGetMoreIsAnsweredWhenTheOplogGrowsNotAtOnce() throws Exception {
        MongoCollection<Document> events = client.getDatabase("shop").getCollection("events");
        events.insertOne(new Document("_id", "before"));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                 events.watch().maxAwaitTime(60, TimeUnit.SECONDS).cursor()) {
            CompletableFuture<ChangeStreamDocument<Document>> next = CompletableFuture.supplyAsync(cursor::tryNext);

            await().atMost(Duration.ofSeconds(20)).until(() -> server.waitingGetMores() == 1);
            // the server serves other commands meanwhile, on the very lane the getMore came from
            assertThat(events.countDocuments()).isEqualTo(1);
            events.insertOne(new Document("_id", "after"));

            ChangeStreamDocument<Document> change = next.get(20, TimeUnit.SECONDS);
            assertThat(change).isNotNull();
            assertThat(change.getDocumentKey().getString("_id").getValue()).isEqualTo("after");
            assertThat(getMores).as("one getMore, answered with the insert").hasSize(1);
            // the reply is written before the main lane updates its count: the client may read it first
            await().atMost(Duration.ofSeconds(5)).until(() -> server.waitingGetMores() == 0);
        }
    }

    @Test
    void aGetMoreThatFindsNothingEndsAtItsAwaitTimeWithAResumeTokenPastTheQuietOplog() {
        MongoCollection<Document> events = client.getDatabase("shop").getCollection("events");
        MongoCollection<Document> other = client.getDatabase("shop").getCollection("other");
        events.insertOne(new Document("_id", "watched"));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                 events.watch().maxAwaitTime(200, TimeUnit.MILLISECONDS).cursor()) {
            other.insertOne(new Document("_id", "not watched"));
            assertThat(cursor.tryNext()).isNull();
            assertThat(cursor.getResumeToken()).as("post-batch token after an empty wait").isNotNull();
            assertThat(getMores).hasSize(1);
            await().atMost(Duration.ofSeconds(20)).until(() -> server.waitingGetMores() == 0);
        }
    }

    @Test
    void aClosedStreamsWaitingGetMoreIsAnsweredOnceAndForgotten() throws Exception {
        MongoCollection<Document> events = client.getDatabase("shop").getCollection("events");
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
            events.watch().maxAwaitTime(500, TimeUnit.MILLISECONDS).cursor();
        CompletableFuture<ChangeStreamDocument<Document>> next = CompletableFuture.supplyAsync(cursor::tryNext);
        await().atMost(Duration.ofSeconds(20)).until(() -> server.waitingGetMores() == 1);
        assertThat(next.get(20, TimeUnit.SECONDS)).isNull();
        cursor.close();
        await().atMost(Duration.ofSeconds(20)).until(() -> server.waitingGetMores() == 0);
        events.insertOne(new Document("_id", "later"));
        assertThat(events.countDocuments()).isEqualTo(1);
    }
}
