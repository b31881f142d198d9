package dev.ferry.mongodb.readmodel;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.bson.BsonDocument;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

/**
 * Every write to a read-model collection as a change stream shows it — evidence the writer under test does not
 * produce (unlike its own apply log, pushed in the same update): per write, the document and the {@code _version} it
 * set (null if the write set none).
 */
final class ReadModelWrites implements AutoCloseable {

    record Write(String id, Long version) {
    }

    private final MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
    private final List<Write> writes = new ArrayList<>();

    private ReadModelWrites(MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor) {
        this.cursor = cursor;
    }

    /** Every write after this returns is seen. */
    static ReadModelWrites watch(MongoCollection<?> collection) {
        return new ReadModelWrites(collection.withDocumentClass(BsonDocument.class).watch(BsonDocument.class)
            .maxAwaitTime(100, TimeUnit.MILLISECONDS).cursor());
    }

    /**
     * Every write made before this call: a marker document is inserted into the collection, and the writes are read
     * up to it (the stream gives writes in the order they happened). Fails if the marker does not show within
     * {@code atMost}, naming how many writes did: a partial history would undercount.
     */
    List<Write> untilNow(MongoCollection<org.bson.Document> collection, Duration atMost) {
        String marker = "end-of-writes-" + System.nanoTime();
        collection.insertOne(new org.bson.Document("_id", marker));
        long deadline = System.nanoTime() + atMost.toNanos();
        while (writes.isEmpty() || !writes.get(writes.size() - 1).id().equals(marker)) {
            ChangeStreamDocument<BsonDocument> event = cursor.tryNext();
            if (event != null) {
                writes.add(write(event));
            } else if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the change stream showed " + writes.size() + " writes but not the "
                    + "marker written after them within " + atMost + ": " + writes);
            } else {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5)); // the embedded server returns at once
            }
        }
        return List.copyOf(writes.subList(0, writes.size() - 1));
    }

    private static Write write(ChangeStreamDocument<BsonDocument> event) {
        String id = event.getDocumentKey().get("_id").asString().getValue();
        BsonDocument set = switch (event.getOperationTypeString()) {
            case "insert", "replace" -> event.getFullDocument();
            case "update" -> event.getUpdateDescription().getUpdatedFields();
            default -> throw new IllegalStateException("not a write of a read model: " + event);
        };
        return new Write(id, set != null && set.isNumber("_version") ? set.getNumber("_version").longValue() : null);
    }

    @Override
    public void close() {
        cursor.close();
    }
}
