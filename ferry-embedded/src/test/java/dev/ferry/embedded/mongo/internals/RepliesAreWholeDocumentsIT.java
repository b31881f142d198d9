package dev.ferry.embedded.mongo.internals;

import static com.mongodb.client.model.Filters.eq;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Updates;

/**
 * A reply holds the documents as they were when the command ran, even though the memory backend hands out the stored
 * documents themselves and the next command may change them in place: replies are encoded on the command's lane, not
 * later on the I/O thread (which returned torn documents, or failed the connection when a field came or went).
 */
@Timeout(120)
class RepliesAreWholeDocumentsIT {

    private static final int READS = 3_000;

    private WireServer server;
    private MongoClient client;

    @BeforeEach
    void start() {
        server = new WireServer(new InetSocketAddress("127.0.0.1", 0), 10_000, Set.of("ferry_leases"));
        // no retries: a reply the server failed to send must fail the read, not be read again on a new connection
        client = MongoClients.create(server.connectionString()
            + "/?retryReads=false&retryWrites=false");
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void everyReadSeesOneWholeVersionOfADocumentChangedInPlaceBesideIt() throws Exception {
        for (String name : List.of("events", "ferry_leases")) {
            MongoCollection<Document> collection = client.getDatabase("ferry").getCollection(name);
            collection.insertOne(new Document("_id", 1).append("version", 0).append("payload", "p0"));
            AtomicBoolean reading = new AtomicBoolean(true);
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                for (int i = 1; reading.get(); i++) {
                    // every update changes both fields; every other one adds or removes a third
                    collection.updateOne(eq("_id", 1), Updates.combine(Updates.set("version", i),
                        Updates.set("payload", "p" + i), i % 2 == 0 ? Updates.set("extra", i) : Updates.unset("extra")));
                }
            });
            try {
                for (int read = 0; read < READS; read++) {
                    Document document = collection.find(eq("_id", 1)).first();
                    assertThat(document.getString("payload")).as(name).isEqualTo("p" + document.getInteger("version"));
                }
            } finally {
                reading.set(false);
                writer.get(60, TimeUnit.SECONDS);
            }
        }
    }
}
