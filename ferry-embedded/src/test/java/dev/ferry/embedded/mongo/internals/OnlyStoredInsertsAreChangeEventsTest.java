package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.bson.Document;

/**
 * An insert command's change events are the documents its collection stored, told by the collection rather than by a
 * query per document: a document rejected as a duplicate, or one after an ordered insert's failure, is no event; an
 * upsert's insert is one.
 */
class OnlyStoredInsertsAreChangeEventsTest {

    private static final String COLLECTION = "orders";

    private final DirectBackend server = new DirectBackend("inserts");

    @Test
    void anOrderedInsertReportsTheDocumentsBeforeItsFailure() {
        server.insert(COLLECTION, new Document("_id", 2));
        long stream = server.watch(COLLECTION);
        insert(true, new Document("_id", 1), new Document("_id", 2), new Document("_id", 3));

        assertThat(insertedIds(stream)).containsExactly(1);
    }

    @Test
    void anUnorderedInsertReportsEveryDocumentButTheRejectedOnes() {
        server.insert(COLLECTION, new Document("_id", 2));
        long stream = server.watch(COLLECTION);
        insert(false, new Document("_id", 1), new Document("_id", 2), new Document("_id", 3), new Document("_id", 3),
            new Document("_id", 4));

        assertThat(insertedIds(stream)).containsExactly(1, 3, 4);
    }

    @Test
    void anUpsertAndAFindAndModifyUpsertAreInsertEvents() {
        long stream = server.watch(COLLECTION);
        server.command("update", new Document("update", COLLECTION).append("updates", List.of(new Document("q",
            new Document("_id", 5)).append("u", new Document("$set", new Document("n", 1))).append("upsert", true))));
        server.command("findAndModify", new Document("findAndModify", COLLECTION).append("query", new Document("_id", 6))
            .append("update", new Document("$set", new Document("n", 1))).append("upsert", true));

        assertThat(insertedIds(stream)).containsExactly(5, 6);
    }

    @Test
    void aRepeatedInsertOfAStoredIdIsNoEventTheSecondTime() {
        long stream = server.watch(COLLECTION);
        insert(true, new Document("_id", 7));
        insert(true, new Document("_id", 7));

        assertThat(insertedIds(stream)).containsExactly(7);
    }

    private void insert(boolean ordered, Document... documents) {
        server.command("insert", new Document("insert", COLLECTION)
            .append("documents", new ArrayList<>(List.of(documents))).append("ordered", ordered));
    }

    private List<Object> insertedIds(long stream) {
        return server.events(COLLECTION, stream).stream()
            .filter(event -> "insert".equals(event.get("operationType")))
            .map(event -> ((Document) event.get("documentKey")).get("_id")).toList();
    }
}
