package dev.ferry.embedded.mongo.internals;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import de.bwaldvogel.mongo.bson.Document;

/**
 * The oplog keeps a snapshot of an inserted or replacing document, not a deep copy: these prove that no later update of
 * the stored document, of any form, reaches the event read afterwards.
 */
class ChangeEventsKeepTheDocumentAsWrittenTest {

    private static final String COLLECTION = "orders";

    private final DirectBackend server = new DirectBackend("snapshots");

    @Test
    void anInsertEventShowsTheDocumentAsInsertedAfterEveryFormOfUpdate() {
        long stream = server.watch(COLLECTION);
        server.insert(COLLECTION, order());

        server.update(COLLECTION, id(), set("status", "paid"));
        server.update(COLLECTION, id(), set("customer.name", "Bea"));
        server.update(COLLECTION, id(), set("customer.address.city", "Basel"));
        server.update(COLLECTION, id(), set("lines.0.quantity", 5));
        server.update(COLLECTION, new Document("_id", "o-1").append("lines.sku", "b"), set("lines.$.quantity", 7));
        server.update(COLLECTION, id(), new Document("$push", new Document("lines", new Document("sku", "c"))));
        server.update(COLLECTION, id(), new Document("$push", new Document("tags", "late")));
        server.update(COLLECTION, id(), new Document("$inc", new Document("total", 1)));
        server.update(COLLECTION, id(), new Document("$unset", new Document("customer.address", "")));
        server.update(COLLECTION, id(), new Document("$rename", new Document("status", "state")));
        server.command("findAndModify", new Document("findAndModify", COLLECTION).append("query", id())
            .append("update", set("customer.name", "Cem")).append("new", true));

        List<Document> events = server.events(COLLECTION, stream);
        assertThat(events).hasSize(12);
        assertThat(events.get(0).get("operationType")).isEqualTo("insert");
        assertThat(events.get(0).get("fullDocument")).isEqualTo(order());
        assertThat(server.find(COLLECTION).get(0)).as("the updates did happen").isNotEqualTo(order());
    }

    @Test
    void aReplaceEventShowsTheReplacementAsWrittenAfterLaterUpdates() {
        server.insert(COLLECTION, order());
        long stream = server.watch(COLLECTION);
        Document replacement = new Document("_id", "o-1").append("customer", new Document("name", "Dan")
            .append("address", new Document("city", "Chur"))).append("lines", new ArrayList<>(List.of(
                new Document("sku", "z").append("quantity", 1))));
        server.update(COLLECTION, id(), replacement.cloneDeeply());

        server.update(COLLECTION, id(), set("customer.address.city", "Genf"));
        server.update(COLLECTION, id(), set("lines.0.quantity", 9));
        server.update(COLLECTION, id(), set("customer", "gone"));

        List<Document> events = server.events(COLLECTION, stream);
        assertThat(events.get(0).get("operationType")).isEqualTo("replace");
        assertThat(events.get(0).get("fullDocument")).isEqualTo(replacement);
    }

    @Test
    void anUpdateEventDescribesItsOwnUpdateAfterLaterUpdatesOfTheSameFields() {
        server.insert(COLLECTION, order());
        long stream = server.watch(COLLECTION);
        Document address = new Document("city", "Bern").append("zip", "3000");
        server.update(COLLECTION, id(), set("customer.address", address.cloneDeeply()));
        server.update(COLLECTION, id(), set("customer.address.city", "Thun"));
        server.update(COLLECTION, id(), new Document("$push", new Document("tags", "late")));
        server.update(COLLECTION, id(), new Document("$push", new Document("tags", "later")));

        List<Document> events = server.events(COLLECTION, stream);
        assertThat(updatedFields(events.get(0))).isEqualTo(new Document("customer.address", address));
        assertThat(updatedFields(events.get(1))).isEqualTo(new Document("customer.address.city", "Thun"));
        assertThat(updatedFields(events.get(2))).isEqualTo(new Document("tags", List.of("new", "late")));
        assertThat(updatedFields(events.get(3))).isEqualTo(new Document("tags", List.of("new", "late", "later")));
    }

    private static Document order() {
        return new Document("_id", "o-1")
            .append("status", "open")
            .append("customer", new Document("name", "Ada").append("address", new Document("city", "Zug")))
            .append("lines", new ArrayList<>(List.of(new Document("sku", "a").append("quantity", 1),
                new Document("sku", "b").append("quantity", 2))))
            .append("tags", new ArrayList<>(List.of("new")))
            .append("total", 10);
    }

    private static Document id() {
        return new Document("_id", "o-1");
    }

    private static Document set(String path, Object value) {
        return new Document("$set", new Document(path, value));
    }

    private static Document updatedFields(Document event) {
        return (Document) ((Document) event.get("updateDescription")).get("updatedFields");
    }
}
