package dev.ferry.embedded.mongo.internals;

import static com.mongodb.client.model.Filters.eq;
import static com.mongodb.client.model.Updates.set;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.FullDocument;

/**
 * With the lease collection's commands on a lane of their own, running beside everything else, a database's change
 * stream still holds every write once, each collection's in its commit order, and looks up the current lease while
 * renewals go on; collections created on both lanes at once all exist afterwards.
 */
@Timeout(120)
class LanesKeepEachCollectionsCommitOrderIT {

    private static final int WRITES = 2_000;

    private WireServer server;
    private MongoClient client;

    @BeforeEach
    void start() {
        server = new WireServer(new InetSocketAddress("127.0.0.1", 0), 100_000, Set.of("ferry_leases"));
        client = MongoClients.create(server.connectionString());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
    }

    @Test
    void concurrentWritesOnBothLanesReachTheStreamOnceAndInEachCollectionsOrder() throws Exception {
        MongoDatabase database = client.getDatabase("ferry");
        MongoCollection<Document> leases = database.getCollection("ferry_leases");
        MongoCollection<Document> events = database.getCollection("events");
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> stream =
                 database.watch().fullDocument(FullDocument.UPDATE_LOOKUP).cursor()) {
            CompletableFuture<Void> renewals = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < WRITES; i++) {
                    leases.updateOne(eq("_id", "relay"), set("renewal", i), new UpdateOptions().upsert(true));
                    if (i % 100 == 0) {
                        database.getCollection("lease_side_" + i).insertOne(new Document("_id", i));
                    }
                }
            });
            CompletableFuture<Void> appends = CompletableFuture.runAsync(() -> {
                for (int i = 0; i < WRITES; i++) {
                    events.insertOne(new Document("_id", i));
                    if (i % 100 == 0) {
                        database.getCollection("event_side_" + i).insertOne(new Document("_id", i));
                    }
                }
            });
            renewals.get(90, TimeUnit.SECONDS);
            appends.get(90, TimeUnit.SECONDS);

            List<Integer> renewalsSeen = new ArrayList<>();
            List<Integer> eventsSeen = new ArrayList<>();
            int sideCollectionsSeen = 0;
            while (renewalsSeen.size() < WRITES || eventsSeen.size() < WRITES || sideCollectionsSeen < 40) {
                ChangeStreamDocument<Document> change = stream.tryNext();
                if (change == null) {
                    continue;
                }
                String collection = change.getNamespace().getCollectionName();
                if (collection.equals("ferry_leases")) {
                    Document current = change.getFullDocument();
                    assertThat(current).as("the looked-up lease").isNotNull();
                    int renewal = change.getUpdateDescription() == null ? 0
                        : change.getUpdateDescription().getUpdatedFields().getInt32("renewal").getValue();
                    assertThat(current.getInteger("renewal")).isGreaterThanOrEqualTo(renewal);
                    renewalsSeen.add(renewal);
                } else if (collection.equals("events")) {
                    eventsSeen.add(change.getDocumentKey().getInt32("_id").getValue());
                } else {
                    sideCollectionsSeen++;
                }
            }
            assertThat(renewalsSeen).containsExactlyElementsOf(range());
            assertThat(eventsSeen).containsExactlyElementsOf(range());
        }
        assertThat(database.listCollectionNames().into(new ArrayList<>()))
            .contains("ferry_leases", "events", "lease_side_0", "lease_side_1900", "event_side_0", "event_side_1900")
            .hasSize(42);
    }

    private static List<Integer> range() {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < WRITES; i++) {
            all.add(i);
        }
        return all;
    }
}
