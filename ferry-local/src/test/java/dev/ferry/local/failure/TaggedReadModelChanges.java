package dev.ferry.local.failure;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.awaitility.core.ConditionTimeoutException;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Aggregates;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

/**
 * The independent record of a read model written by {@code ProjectorWithWriteGate} processes: a change stream on the
 * database, filtered to the read-model collection and a marker collection, read on a thread of its own from the
 * moment it is constructed. Every landed write (an insert or an update) shows the document's new {@code _version}
 * and {@code state._by} tag ({@code writer|version|preparedAtMillis}), in the order MongoDB applied them; a marker
 * inserted by the test splits that order into before and after (e.g. a zombie's wake-up), and one inserted by
 * {@link #awaitCaughtUp} tells when the stream has shown every write made before it (by the stream's order, not by
 * versions: a trailing repeat leaves a version where it was).
 */
final class TaggedReadModelChanges implements AutoCloseable {

    /** One landed write: which aggregate, the version it moved to, who prepared it and when, in stream order. */
    record Write(long index, String aggregateId, long version, String writer, long preparedAtMillis) {
    }

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final MongoDatabase database;
    private final String readModel;
    private final String markers;
    private final MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor;
    private final List<Write> writes = new ArrayList<>();
    private final Map<String, Long> markerIndex = new HashMap<>();
    private final List<String> unreadable = new ArrayList<>();
    private final Thread reader;
    private volatile RuntimeException failure;
    private volatile boolean closed;
    private long index;

    TaggedReadModelChanges(MongoDatabase database, String readModel, String markers) {
        this.database = database;
        this.readModel = readModel;
        this.markers = markers;
        List<Bson> pipeline = List.of(Aggregates.match(Filters.in("ns.coll", readModel, markers)));
        // Opened here, on the caller's thread: every write after the constructor returns is in the stream.
        this.cursor = database.watch(pipeline).maxAwaitTime(200, TimeUnit.MILLISECONDS).cursor();
        this.reader = new Thread(this::read, "read-model-changes");
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
        long at = index++;
        String collection = change.getNamespace() == null ? null : change.getNamespace().getCollectionName();
        String id = change.getDocumentKey() == null ? null : change.getDocumentKey().getString("_id").getValue();
        if (markers.equals(collection)) {
            markerIndex.put(id, at);
            return;
        }
        if (id != null && id.startsWith(ReadModelWrites.MARKER)) {
            return; // a ReadModelWrites marker in the read model (and its removal): no write of a read model
        }
        String type = change.getOperationTypeString();
        BsonDocument fields;
        String by;
        if (("insert".equals(type) || "replace".equals(type)) && change.getFullDocument() != null) {
            // a replace event carries the whole new document, never an update description
            Document full = change.getFullDocument();
            fields = null;
            Object version = full.get("_version");
            Document state = full.get("state", Document.class);
            by = state == null ? null : state.getString("_by");
            add(at, id, version instanceof Number n ? n.longValue() : -1, by, change);
            return;
        }
        if ("update".equals(type)) {
            fields = change.getUpdateDescription() == null ? null : change.getUpdateDescription().getUpdatedFields();
            if (fields != null && fields.containsKey("_version")) {
                long version = fields.getNumber("_version").longValue();
                by = fields.containsKey("state._by") ? fields.getString("state._by").getValue()
                    : fields.containsKey("state") ? fields.getDocument("state").getString("_by").getValue() : null;
                add(at, id, version, by, change);
                return;
            }
        }
        unreadable.add(type + " " + id + ": " + change);
    }

    private void add(long at, String id, long version, String by, ChangeStreamDocument<Document> change) {
        String[] tag = by == null ? null : by.split("\\|");
        if (tag == null || tag.length != 3 || Long.parseLong(tag[1]) != version) {
            unreadable.add("untagged or mistagged write of " + id + " to version " + version + ": " + change);
            return;
        }
        writes.add(new Write(at, id, version, tag[0], Long.parseLong(tag[2])));
    }

    /** Inserts a marker document; its place in the stream is {@link #markerIndex} once read. */
    static void mark(MongoDatabase database, String markers, String name) {
        database.getCollection(markers).insertOne(new Document("_id", name));
    }

    /**
     * Waits until every aggregate has a landed write at (at least) its expected version and the awaited markers are
     * read, and then until the stream has shown every write made before that: a fresh marker is inserted and read up
     * to, so a write that left a version where it was (a repeat) is in the record too. Fails naming what is missing if
     * not within {@code atMost}, never returns a partial record.
     */
    void awaitCaughtUp(Map<String, Long> expected, List<String> awaitedMarkers, Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(200))
                .until(() -> missing(expected).isEmpty() && missingMarkers(awaitedMarkers).isEmpty());
        } catch (ConditionTimeoutException e) {
            Map<String, Long> missing = missing(expected);
            throw new AssertionError("the change stream on " + readModel + " did not show, within " + atMost.toSeconds()
                + " s, " + missing.size() + " aggregates at their expected versions (e.g. " + missing.entrySet().stream()
                .limit(10).toList() + ") and markers " + missingMarkers(awaitedMarkers), e);
        }
        String now = "caught-up-" + UUID.randomUUID();
        mark(database, markers, now);
        // Bound: what is left of atMost, at least 10 s: the stream only has to read writes already made.
        Duration left = Duration.ofNanos(Math.max(deadline - System.nanoTime(), Duration.ofSeconds(10).toNanos()));
        try {
            await().atMost(left).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(20))
                .until(() -> missingMarkers(List.of(now)).isEmpty());
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("the change stream on " + readModel + " did not show, within " + left.toSeconds()
                + " s, the marker written after the expected versions showed: writes after them may be unread", e);
        }
    }

    private synchronized Map<String, Long> missing(Map<String, Long> expected) {
        if (failure != null) {
            throw new AssertionError("the change stream on " + readModel + " failed", failure);
        }
        Map<String, Long> seen = lastVersions();
        return expected.entrySet().stream().filter(e -> seen.getOrDefault(e.getKey(), 0L) < e.getValue())
            .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private synchronized List<String> missingMarkers(List<String> awaited) {
        if (failure != null) {
            throw new AssertionError("the change stream on " + readModel + " failed", failure);
        }
        return awaited.stream().filter(m -> !markerIndex.containsKey(m)).toList();
    }

    synchronized List<Write> writes() {
        return List.copyOf(writes);
    }

    synchronized long markerIndex(String name) {
        Long at = markerIndex.get(name);
        if (at == null) {
            throw new AssertionError("marker " + name + " not read from the change stream");
        }
        return at;
    }

    synchronized List<String> unreadable() {
        return List.copyOf(unreadable);
    }

    /** The last version each aggregate moved to, in stream order. */
    synchronized Map<String, Long> lastVersions() {
        Map<String, Long> last = new LinkedHashMap<>();
        writes.forEach(w -> last.put(w.aggregateId(), w.version()));
        return last;
    }

    /** Writes that did not move their aggregate's version forward (a repeat or a regression): none may exist. */
    synchronized List<String> orderViolations() {
        Map<String, Long> last = new HashMap<>();
        List<String> violations = new ArrayList<>();
        for (Write write : writes) {
            Long before = last.put(write.aggregateId(), write.version());
            if (before != null && write.version() <= before) {
                violations.add(write.aggregateId() + " went from " + before + " to " + write.version() + " (written by "
                    + write.writer() + ")");
            }
        }
        return violations;
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        reader.join(5_000);
        cursor.close();
    }
}
