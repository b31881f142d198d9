package dev.ferry.embedded.mongo;

import static com.mongodb.client.model.Filters.eq;
import static dev.ferry.embedded.mongo.ChangeStreamScenarios.assertQuiet;
import static dev.ferry.embedded.mongo.ChangeStreamScenarios.event;
import static dev.ferry.embedded.mongo.ChangeStreamScenarios.take;
import static dev.ferry.embedded.mongo.ChangeStreamScenarios.untilSentinel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.util.List;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoNamespace;
import com.mongodb.client.ClientSession;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.OperationType;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

/**
 * Why Ferry replaces mongo-java-server's oplog: the scenarios {@link EmbeddedOplogIT} passes, run on the stock
 * server, show its defects. If an upgrade makes one of these fail, the stock server fixed that defect.
 */
@Timeout(60)
class StockOplogDefectsIT {

    private MongoServer stock;
    private ChangeStreamScenarios scenarios;

    @BeforeEach
    void start() {
        stock = new MongoServer(new MemoryBackend());
        stock.enableOplog();
        stock.bind(new InetSocketAddress("127.0.0.1", 0), 1, 1);
        InetSocketAddress address = stock.getLocalAddress();
        scenarios = new ChangeStreamScenarios("mongodb://127.0.0.1:" + address.getPort());
    }

    @AfterEach
    void stop() {
        scenarios.close();
        stock.shutdownNow();
    }

    @Test
    void reportsARejectedInsert() {
        List<ChangeStreamDocument<Document>> changes = scenarios.rejectedInsertBetweenTwoAccepted();

        assertThat(changes).extracting(change -> change.getFullDocument().getString("note"))
            .contains("rejected");
    }

    @Test
    void reportsDocumentsAnOrderedInsertManyNeverWrote() {
        List<ChangeStreamDocument<Document>> changes = scenarios.orderedInsertManyFailingInTheMiddle();

        assertThat(changes).extracting(change -> change.getFullDocument().getString("note"))
            .contains("never written");
    }

    @Test
    void reportsAReplacementAsAnUpdate() {
        scenarios.events.insertOne(event("d", 1, "original"));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.replaceOne(eq("aggregateId", "d"), event("d", 1, "replacement"));

            assertThat(take(cursor, 1).get(0).getOperationType()).isEqualTo(OperationType.UPDATE);
        }
    }

    @Test
    void putsTheUpdateSpecificationInTheDocumentKey() {
        scenarios.events.insertOne(event("c", 1, "before"));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.updateOne(eq("aggregateId", "c"), new Document("$set", new Document("note", "after")));

            assertThat(take(cursor, 1).get(0).getDocumentKey()).doesNotContainKey("_id");
        }
    }

    @Test
    void aDatabaseStreamWatchesACollectionNamedOneAndReportsNothing() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                 scenarios.client.getDatabase("ferry").watch().cursor()) {
            scenarios.events.insertOne(event("h", 1, "unseen"));

            assertQuiet(cursor);
        }
    }

    @Test
    void aClusterStreamFailsWithCommandNotFound() {
        assertThatThrownBy(() -> scenarios.client.watch().cursor())
            .isInstanceOfSatisfying(MongoCommandException.class, e -> assertThat(e.getErrorCode()).isEqualTo(59));
    }

    @Test
    void eventsCarryNeitherNamespaceNorWallTime() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.insertOne(event("j", 1, "new"));

            ChangeStreamDocument<Document> insert = take(cursor, 1).get(0);
            assertThat(insert.getNamespace()).isNull();
            assertThat(insert.getWallTime()).isNull();
        }
    }

    @Test
    void describesNoUpdate() {
        scenarios.events.insertOne(event("k", 1, "before"));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.updateOne(eq("aggregateId", "k"), new Document("$set", new Document("note", "after")));

            assertThat(take(cursor, 1).get(0).getUpdateDescription()).isNull();
        }
    }

    @Test
    void reportsNoFindAndModifyWrite() {
        scenarios.events.insertOne(event("l", 1, "original"));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.findOneAndUpdate(eq("aggregateId", "l"), new Document("$set", new Document("note", "x")));
            scenarios.events.findOneAndReplace(eq("aggregateId", "l"), event("l", 1, "replaced"));
            scenarios.events.findOneAndDelete(eq("aggregateId", "l"));
            scenarios.insertSentinel();

            assertThat(untilSentinel(cursor)).isEmpty();
        }
    }

    @Test
    void reportsNoPostBatchResumeTokenAndNoOperationTime() {
        List<Document> deletesOnly = List.of(new Document("$match", new Document("operationType", "delete")));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor =
                 scenarios.events.watch(deletesOnly).cursor()) {
            Document insertReply = scenarios.client.getDatabase("ferry").runCommand(new Document("insert", "events")
                .append("documents", List.of(event("o", 1, "filtered out"))));

            assertThat(cursor.tryNext()).isNull();
            assertThat(cursor.getResumeToken()).isNull();
            assertThat(insertReply).doesNotContainKey("operationTime");
        }
    }

    @Test
    void supportsNoSessions() {
        assertThatThrownBy(() -> {
            try (ClientSession session = scenarios.client.startSession()) {
                scenarios.events.insertOne(session, event("s", 1, "in a session"));
            }
        }).hasMessageContaining("doesn't support sessions");
    }

    @Test
    void aDropIsNotFollowedByAnInvalidate() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.drop();
            scenarios.insertSentinel();

            assertThat(untilSentinel(cursor)).extracting(ChangeStreamDocument::getOperationType)
                .containsExactly(OperationType.DROP);
        }
    }

    @Test
    void aCollectionStreamReportsTheDropOfAnotherCollection() {
        scenarios.client.getDatabase("ferry").getCollection("audit").insertOne(new Document("any", 1));
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.client.getDatabase("ferry").getCollection("audit").drop();
            scenarios.insertSentinel();

            assertThat(untilSentinel(cursor)).extracting(ChangeStreamDocument::getOperationType)
                .containsExactly(OperationType.DROP);
        }
    }

    @Test
    void reportsNoRename() {
        try (MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = scenarios.events.watch().cursor()) {
            scenarios.events.renameCollection(new MongoNamespace("ferry", "archive"));
            scenarios.insertSentinel();

            assertThat(untilSentinel(cursor)).isEmpty();
        }
    }
}
