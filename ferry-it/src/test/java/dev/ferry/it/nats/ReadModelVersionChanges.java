package dev.ferry.it.nats;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.awaitility.core.ConditionTimeoutException;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.mongodb.readmodel.MongoReadModelWriter;

/**
 * A read model's history as MongoDB applied it, from a change stream on its collection (not from anything the
 * writer under test records): every insert and update, with the {@code _version} it moved its document to. A
 * version-checked writer moves a document's version forward on every write it lands; a write that leaves the version
 * where it was (a repeat of an applied event) or moves it back (an older event over a newer state) is counted as a
 * violation, by aggregate. Read on a thread of its own from the moment it is constructed.
 */
final class ReadModelVersionChanges implements AutoCloseable {

    private final String readModel;
    private final MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor;
    private final Map<String, Long> versions = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private final List<String> unreadable = new ArrayList<>();
    private final Thread reader;
    private long writes;
    private volatile RuntimeException failure;
    private volatile boolean closed;

    ReadModelVersionChanges(MongoDatabase database, String readModel) {
        this.readModel = readModel;
        List<Bson> pipeline = List.of(Aggregates.match(Filters.eq("ns.coll", readModel)));
        // Opened on the caller's thread: every write after the constructor returns is in the stream.
        this.cursor = database.watch(pipeline).maxAwaitTime(200, TimeUnit.MILLISECONDS).cursor();
        this.reader = new Thread(this::read, "changes-of-" + readModel);
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        try {
            while (!closed) {
                ChangeStreamDocument<Document> change = cursor.tryNext();
                if (change != null) {
                    take(change);
                }
            }
        } catch (RuntimeException e) {
            if (!closed) {
                failure = e;
            }
        }
    }

    private synchronized void take(ChangeStreamDocument<Document> change) {
        String type = change.getOperationTypeString();
        String id = change.getDocumentKey() == null ? null : change.getDocumentKey().getString("_id").getValue();
        Long version = null;
        if ("insert".equals(type) && change.getFullDocument() != null
            && change.getFullDocument().get(MongoReadModelWriter.VERSION) instanceof Number n) {
            version = n.longValue();
        } else if ("update".equals(type) && change.getUpdateDescription() != null) {
            BsonDocument fields = change.getUpdateDescription().getUpdatedFields();
            if (fields != null && fields.containsKey(MongoReadModelWriter.VERSION)) {
                version = fields.getNumber(MongoReadModelWriter.VERSION).longValue();
            } else {
                // Every write the writer lands sets a new version: an update that did not change it repeated one.
                Long at = versions.get(id);
                violations.add(id + " written again at version " + at + " (its version did not move)");
                writes++;
                return;
            }
        }
        if (version == null || id == null) {
            unreadable.add(type + " " + id + ": " + change);
            return;
        }
        writes++;
        Long before = versions.put(id, version);
        if (before != null && version <= before) {
            violations.add(id + " went from version " + before + " to " + version);
        }
    }

    /**
     * Waits until every aggregate's document has reached its expected version in the stream; fails naming what is
     * missing if not within {@code atMost} (a slow stream is never taken for a complete one).
     */
    void awaitVersions(Map<String, Long> expected, Duration atMost) {
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> missing(expected).isEmpty());
        } catch (ConditionTimeoutException e) {
            Map<String, Long> missing = missing(expected);
            throw new AssertionError("the change stream on " + readModel + " did not show, within " + atMost.toSeconds()
                + " s, " + missing.size() + " of " + expected.size() + " aggregates at their expected versions (e.g. "
                + missing.entrySet().stream().limit(10).toList() + ")", e);
        }
    }

    private synchronized Map<String, Long> missing(Map<String, Long> expected) {
        if (failure != null) {
            throw new AssertionError("the change stream on " + readModel + " failed", failure);
        }
        Map<String, Long> missing = new HashMap<>();
        expected.forEach((id, version) -> {
            if (versions.getOrDefault(id, 0L) < version) {
                missing.put(id, version);
            }
        });
        return missing;
    }

    /** Writes that did not move their document's version forward: a repeat or a regression. */
    synchronized List<String> violations() {
        return List.copyOf(violations);
    }

    /** Changes that were not an insert or update with a version (a delete, a replace, a drop). */
    synchronized List<String> unreadable() {
        return List.copyOf(unreadable);
    }

    synchronized long writes() {
        return writes;
    }

    @Override
    public void close() {
        closed = true;
        try {
            reader.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cursor.close();
    }
}
