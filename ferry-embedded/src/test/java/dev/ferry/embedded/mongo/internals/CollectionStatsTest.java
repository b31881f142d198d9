package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.bson.Document;

/**
 * The data size that collStats, dbStats and validate report is the encoded size of the documents stored, whatever
 * writes put them there (the collection counts it when asked instead of encoding every write).
 */
class CollectionStatsTest {

    private final DirectBackend server = new DirectBackend("stats");

    @Test
    void theDataSizeIsTheEncodedSizeOfTheStoredDocumentsAfterEveryKindOfWrite() {
        assertReportedSizes("orders");
        server.insert("orders", new Document("_id", 1).append("note", "ä".repeat(100)),
            new Document("_id", 2).append("lines", List.of(new Document("sku", "a"), new Document("sku", "b"))),
            new Document("n", 3));
        assertReportedSizes("orders");

        server.update("orders", new Document("_id", 1), new Document("$set", new Document("note", "short")));
        server.update("orders", new Document("_id", 2), new Document("$push", new Document("lines", "x".repeat(500))));
        server.update("orders", new Document("_id", 3), new Document("_id", 3).append("replaced", true));
        server.command("update", new Document("update", "orders").append("updates", List.of(new Document("q",
            new Document("_id", 4)).append("u", new Document("$set", new Document("upserted", true)))
            .append("upsert", true))));
        server.command("findAndModify", new Document("findAndModify", "orders").append("query", new Document("_id", 2))
            .append("update", new Document("$unset", new Document("lines", ""))));
        assertReportedSizes("orders");

        server.delete("orders", new Document("_id", 1));
        server.command("findAndModify", new Document("findAndModify", "orders").append("query", new Document("_id", 4))
            .append("remove", true));
        assertReportedSizes("orders");

        server.insert("customers", new Document("_id", "c").append("name", "Ada"));
        Document databaseStats = server.command("dbStats", new Document("dbStats", 1));
        assertThat(((Number) databaseStats.get("dataSize")).longValue())
            .isEqualTo(storedSize("orders") + storedSize("customers"));
    }

    private void assertReportedSizes(String collection) {
        int stored = storedSize(collection);
        int count = server.find(collection).size();
        Document stats = server.command("collStats", new Document("collStats", collection));
        assertThat(stats.get("size")).isEqualTo(stored);
        assertThat(stats.get("count")).isEqualTo(count);
        if (count > 0) {
            assertThat(stats.get("avgObjSize")).isEqualTo(stored / count);
            Document validation = server.command("validate", new Document("validate", collection));
            assertThat(validation.get("datasize")).isEqualTo((long) stored);
        }
    }

    private int storedSize(String collection) {
        return server.find(collection).stream().mapToInt(DirectBackend::encodedLength).sum();
    }
}
