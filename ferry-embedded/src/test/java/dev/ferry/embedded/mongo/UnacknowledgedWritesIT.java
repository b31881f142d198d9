package dev.ferry.embedded.mongo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.ConnectionString;
import com.mongodb.MongoClientSettings;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.event.ConnectionClosedEvent;
import com.mongodb.event.ConnectionPoolListener;

/**
 * A write with {@code w: 0} (and the Node.js driver's {@code endSessions} when it closes) is an OP_MSG with the
 * {@code moreToCome} flag: the client expects no reply. The server applies it, answers nothing, and keeps the
 * connection; mongo-java-server alone refuses the flag and drops the connection, and the write with it.
 */
@Timeout(60)
class UnacknowledgedWritesIT {

    private EmbeddedMongo mongo;
    private MongoClient client;
    private final List<ConnectionClosedEvent> closed = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() {
        mongo = EmbeddedMongo.start();
        client = MongoClients.create(MongoClientSettings.builder()
            .applyConnectionString(new ConnectionString(mongo.connectionString()))
            .applyToConnectionPoolSettings(pool -> pool.maxSize(1).addConnectionPoolListener(new ConnectionPoolListener() {
                @Override
                public void connectionClosed(ConnectionClosedEvent event) {
                    closed.add(event);
                }
            }))
            .build());
    }

    @AfterEach
    void stop() {
        client.close();
        mongo.close();
    }

    @Test
    void anUnacknowledgedWriteIsAppliedAndTheConnectionKept() {
        MongoCollection<Document> notes = client.getDatabase("ferry").getCollection("notes");
        notes.insertOne(new Document("_id", 1)); // opens the pool's one connection

        notes.withWriteConcern(WriteConcern.UNACKNOWLEDGED).insertOne(new Document("_id", 2));
        notes.withWriteConcern(WriteConcern.UNACKNOWLEDGED).insertOne(new Document("_id", 3));

        await().atMost(Duration.ofSeconds(10)).until(() -> notes.countDocuments() == 3);
        assertThat(notes.find().map(document -> document.getInteger("_id")).into(new java.util.ArrayList<>()))
            .containsExactly(1, 2, 3);
        assertThat(closed).as("connections the server closed").isEmpty();
    }
}
