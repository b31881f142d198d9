package dev.ferry.it.nats;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.awaitility.core.ConditionTimeoutException;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.it.support.ReadModelHistory;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;

/**
 * A read model's history as MongoDB applied it, from a change stream on its collection (not from anything the
 * writer under test records): every insert and update, with the {@code _version} it moved its document to. A
 * version-checked writer moves a document's version forward on every write it lands; a write that leaves the version
 * where it was (a repeat of an applied event) or moves it back (an older event over a newer state) is counted as a
 * violation, by aggregate. Read on a thread of its own from the moment it is constructed. The same stream carries a
 * marker collection: {@link #awaitVersions} writes a marker there and reads up to it, so it decides "caught up" by
 * the stream's order, not by versions (a trailing repeat leaves a version where it was).
 */
final class ReadModelVersionChanges implements AutoCloseable {

    /** Where {@link #awaitVersions} writes its markers: a collection of their own, watched by the same stream. */
    static final String MARKERS = "test_history_markers";
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final MongoDatabase database;
    private final String readModel;
    private final MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor;
    private final Map<String, Long> versions = new HashMap<>();
    private final List<String> violations = new ArrayList<>();
    private final List<String> unreadable = new ArrayList<>();
    private final Set<String> markersSeen = new java.util.HashSet<>();
    private final Thread reader;
    private long writes;
    private volatile RuntimeException failure;
    private volatile boolean closed;

    ReadModelVersionChanges(MongoDatabase database, String readModel) {
        this.database = database;
        this.readModel = readModel;
        List<Bson> pipeline = List.of(Aggregates.match(Filters.in("ns.coll", readModel, MARKERS)));
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
                } else {
                    // the embedded server's getMore returns at once when idle (a real one waits maxAwaitTime)
                    LockSupport.parkNanos(IDLE_NANOS);
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
        if (change.getNamespace() != null && MARKERS.equals(change.getNamespace().getCollectionName())) {
            markersSeen.add(id);
            return;
        }
        if (id != null && id.startsWith(ReadModelHistory.MARKER)) {
            return; // the marker ReadModelHistory writes into the read model (and removes): no write of a read model
        }
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
     * Waits until every aggregate's document has reached its expected version in the stream, and then until the
     * stream has shown every write made before that: a marker is inserted once the versions are there and read up to
     * (a change stream gives the writes in the order they happened), so a repeat landing after the last version moved
     * is counted too. Fails naming what is missing if not within {@code atMost} (a slow stream is never taken for a
     * complete one).
     */
    void awaitVersions(Map<String, Long> expected, Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(200)).until(() -> missing(expected).isEmpty());
        } catch (ConditionTimeoutException e) {
            Map<String, Long> missing = missing(expected);
            throw new AssertionError("the change stream on " + readModel + " did not show, within " + atMost.toSeconds()
                + " s, " + missing.size() + " of " + expected.size() + " aggregates at their expected versions (e.g. "
                + missing.entrySet().stream().limit(10).toList() + ")", e);
        }
        String marker = "caught-up-" + UUID.randomUUID();
        database.getCollection(MARKERS).insertOne(new Document("_id", marker));
        // Bound: what is left of atMost, at least 10 s: the stream only has to read writes already made.
        Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofSeconds(10).toNanos()));
        try {
            await().atMost(left).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(() -> markerSeen(marker));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the change stream on " + readModel + " did not show, within " + left.toSeconds()
                + " s, the marker written after the expected versions showed: writes after them may be unread", e);
        }
    }

    private synchronized boolean markerSeen(String marker) {
        if (failure != null) {
            throw new AssertionError("the change stream on " + readModel + " failed", failure);
        }
        return markersSeen.contains(marker);
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
