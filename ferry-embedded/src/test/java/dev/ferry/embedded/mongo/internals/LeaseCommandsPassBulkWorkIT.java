package dev.ferry.embedded.mongo.internals;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.FindOneAndUpdateOptions;
import com.mongodb.client.model.ReturnDocument;

/**
 * A lease renewal never waits behind bulk work: while the main lane is busy with a long command, commands on the
 * lease collection (and the driver's heartbeats) are answered, and commands on other collections wait their turn.
 * The long command is held open by the test, so what is shown is an order, not a timing.
 */
@Timeout(60)
class LeaseCommandsPassBulkWorkIT {

    private WireServer server;
    private MongoClient client;

    @BeforeEach
    void start() {
        server = new WireServer(new InetSocketAddress("127.0.0.1", 0), 10_000, Set.of("ferry_leases"));
        client = MongoClients.create(server.connectionString());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void aRenewalIsAnsweredWhileBulkWorkHoldsTheMainLane() throws Exception {
        MongoCollection<Document> leases = client.getDatabase("ferry").getCollection("ferry_leases");
        MongoCollection<Document> events = client.getDatabase("ferry").getCollection("events");
        leases.insertOne(new Document("_id", "relay").append("epoch", 1));
        events.insertOne(new Document("_id", 0));

        CountDownLatch bulkRunning = new CountDownLatch(1);
        CountDownLatch bulkMayEnd = new CountDownLatch(1);
        server.lanes().onMain(() -> {
            bulkRunning.countDown();
            awaitQuietly(bulkMayEnd); // a long bulk command, held open
        });
        bulkRunning.await();
        try {
            CompletableFuture<Void> queuedInsert = CompletableFuture.runAsync(() -> events.insertOne(new Document("_id", 1)));

            Document renewed = leases.findOneAndUpdate(eq("_id", "relay"), set("epoch", 2),
                new FindOneAndUpdateOptions().returnDocument(ReturnDocument.AFTER));
            Document read = leases.find(eq("_id", "relay")).first();

            assertThat(renewed.getInteger("epoch")).isEqualTo(2);
            assertThat(read.getInteger("epoch")).isEqualTo(2);
            assertThat(client.getDatabase("admin").runCommand(new Document("ping", 1)).get("ok")).isEqualTo(1.0);
            assertThat(queuedInsert).as("a command on another collection waits behind the bulk work").isNotDone();
            bulkMayEnd.countDown();
            queuedInsert.get(20, TimeUnit.SECONDS);
        } finally {
            bulkMayEnd.countDown();
        }
        assertThat(events.countDocuments()).isEqualTo(2);
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
