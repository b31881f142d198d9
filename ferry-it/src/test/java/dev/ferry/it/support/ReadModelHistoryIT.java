package dev.ferry.it.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;

import dev.ferry.embedded.mongo.MongoUnderTest;

/**
 * The read-model history a verdict comes from has read every write made before the verdict was asked for — decided
 * by a marker read after the work, not by versions: a repeat that leaves a document's version where it was (the
 * trailing write a replay check must count) is in the verdict even though the versions were already all seen.
 */
class ReadModelHistoryIT {

    private MongoUnderTest mongo;
    private MongoClient client;
    private MongoCollection<Document> readModel;

    @BeforeEach
    void start() {
        mongo = MongoUnderTest.start("ferry_history");
        client = MongoClients.create(mongo.connectionString());
        readModel = client.getDatabase(mongo.databaseName()).getCollection("read_model");
    }

    @AfterEach
    void stop() {
        client.close();
        mongo.close();
    }

    @Test
    void aRepeatAfterEveryVersionWasSeenIsInTheNextVerdict() {
        try (ReadModelHistory history = ReadModelHistory.watch(readModel)) {
            readModel.insertOne(new Document("_id", "a").append("_version", 1L).append("state", new Document("n", 1)));
            readModel.updateOne(new Document("_id", "a"), new Document("$set", new Document("_version", 2L)
                .append("state.n", 2)));
            ReadModelHistory.Verdict before = history.verdictCovering(Map.of("a", 2L), Duration.ofSeconds(30));
            assertThat(before.writes()).isEqualTo(2);
            assertThat(before.duplicates()).isZero();

            // Applied again: the version stays 2, so "the stream has shown version 2" is already true before it is read.
            readModel.updateOne(new Document("_id", "a"), new Document("$set", new Document("state.n", 2)
                .append("state.again", true)));
            ReadModelHistory.Verdict after = history.verdictCovering(Map.of("a", 2L), Duration.ofSeconds(30));

            assertThat(after.writes()).as("writes in the verdict: %s", after.examples()).isEqualTo(3);
            assertThat(after.duplicates()).as("the repeat").isEqualTo(1);
            assertThat(after.unreadable()).isZero();
            assertThat(after.deletes()).as("the history's own markers are no deletes").isZero();
            assertThat(readModel.countDocuments()).as("the markers are removed again").isEqualTo(1);
        }
    }
}
