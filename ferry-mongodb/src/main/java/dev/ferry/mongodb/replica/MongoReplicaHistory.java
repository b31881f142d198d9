package dev.ferry.mongodb.replica;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import com.mongodb.MongoException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.UpdateDescription;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.DocumentedWrite;
import dev.ferry.core.replica.ReplicaHistoryCheck;
import dev.ferry.core.replica.ReplicaWrite;

/**
 * An independent log of every write to a MongoDB replica collection: a change stream on it, read on a thread of its
 * own from the moment {@link #watch} returns. Every kind of change event is read:
 * <ul>
 * <li>an insert or a replace carries the document as written (no lookup, so what it shows is what was written then,
 * not what is there now): its {@code _ferry.version} and whether it has {@code _ferry.deletedAt} make one
 * {@link ReplicaWrite}, and the rest of the document is what it wrote ({@link #documentedWrites()});</li>
 * <li>an update (Ferry's writer never updates in place, but anything else might) is applied to the state the log last
 * saw for the id — its update description sets or removes {@code _ferry}, {@code _ferry.version} or
 * {@code _ferry.deletedAt} — and makes one write of the resulting version (an update leaving the version as it was is
 * a write of that version again: a repeat);</li>
 * <li>a delete removes the document: it is no write of a version, and is counted ({@link #deletes()}: a replica
 * document deleted within the tombstone retention is a replica that forgot a delete);</li>
 * <li>anything that cannot be read as one of these (no {@code _ferry.version}, an update of an id whose version the
 * log never saw, a drop, a rename, an invalidation) counts as {@link #unreadable()}, with a description kept.</li>
 * </ul>
 * The log's own markers ({@link #notCaughtUpWith} inserts one into the collection and removes it again, ids starting
 * {@value #MARKER}) are no writes of a replica: their events are only taken as "the stream has read up to here".
 */
public final class MongoReplicaHistory implements AutoCloseable {

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final int EXAMPLES = 10;
    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    /** Ids of the marker documents {@link #notCaughtUpWith} writes to find where "now" is in the stream. */
    static final String MARKER = "ferry-history-marker-";
    /**
     * How long {@link #notCaughtUpWith} waits for its marker: the stream only has to read writes already committed,
     * seconds even on a loaded machine; a log still behind after it is reported as such (the caller may ask again).
     */
    private static final Duration MARKER_WAIT = Duration.ofSeconds(10);

    private final MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
    private final List<DocumentedWrite> writes = new ArrayList<>();
    /** Each id's state as the log last saw it: what an update is applied to; absent once deleted. */
    private final Map<String, State> states = new HashMap<>();
    private final List<String> unreadableExamples = new ArrayList<>();
    private final Set<String> markersSeen = new HashSet<>();
    private final Thread reader;
    private volatile boolean closed;
    private volatile RuntimeException failure;
    private long unreadable;
    private long deletes;

    private MongoReplicaHistory(MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor) {
        this.cursor = cursor;
        this.reader = new Thread(this::read, "replica-history");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts logging the collection's writes; every write after this returns is seen. */
    public static MongoReplicaHistory watch(MongoCollection<BsonDocument> collection) {
        return new MongoReplicaHistory(collection.watch(BsonDocument.class).maxAwaitTime(200, TimeUnit.MILLISECONDS).cursor());
    }

    private void read() {
        try {
            while (!closed) {
                ChangeStreamDocument<BsonDocument> event = cursor.tryNext();
                if (event != null) {
                    record(event);
                } else {
                    // the server waited maxAwaitTime; a short pause keeps a server that does not from being polled in a loop
                    LockSupport.parkNanos(IDLE_NANOS);
                }
            }
        } catch (MongoException | IllegalStateException e) {
            if (!closed) {
                failure = e;
            }
        }
    }

    private synchronized void record(ChangeStreamDocument<BsonDocument> event) {
        String operation = event.getOperationTypeString();
        BsonValue id = event.getDocumentKey() != null ? event.getDocumentKey().get("_id") : null;
        if (id == null && event.getFullDocument() != null) {
            id = event.getFullDocument().get("_id");
        }
        if (id == null) {
            unreadable(operation + " of no document" + (event.getNamespace() == null ? "" : " in " + event.getNamespace()));
            return;
        }
        if (id.isString() && id.asString().getValue().startsWith(MARKER)) {
            markersSeen.add(id.asString().getValue()); // this log's own marker (or its removal)
            notifyAll();
            return;
        }
        String key = ReplicaIds.key(id);
        switch (operation) {
            case "insert", "replace" -> {
                BsonDocument document = event.getFullDocument();
                BsonDocument ferry = document == null || !document.isDocument(MongoReplicaWriter.FERRY) ? null
                    : document.getDocument(MongoReplicaWriter.FERRY);
                if (ferry == null || !ferry.isString("version")) {
                    states.remove(key);
                    unreadable(operation + " of " + key + " without " + MongoReplicaWriter.VERSION);
                    return;
                }
                write(key, new State(ferry.getString("version").getValue(), ferry.containsKey("deletedAt")),
                    ferry.containsKey("deletedAt") ? null : entity(document));
            }
            case "update" -> {
                State before = states.get(key);
                UpdateDescription update = event.getUpdateDescription();
                State after = before == null || update == null ? null : before.after(update);
                if (after == null) {
                    states.remove(key);
                    unreadable("update of " + key + (before == null ? " whose version this log never saw"
                        : " that leaves no " + MongoReplicaWriter.VERSION));
                    return;
                }
                write(key, after, null);
            }
            case "delete" -> {
                deletes++;
                states.remove(key);
            }
            default -> unreadable(operation + " of " + key);
        }
    }

    private void write(String key, State state, String documentJson) {
        states.put(key, state);
        writes.add(new DocumentedWrite(new ReplicaWrite(key, new EntityVersion(state.version()), state.deleted()),
            documentJson));
    }

    /** The entity's document as written: without the replica's {@code _ferry}, as canonical Extended JSON. */
    private static String entity(BsonDocument document) {
        BsonDocument entity = document.clone();
        entity.remove(MongoReplicaWriter.FERRY);
        return entity.toJson(CANONICAL);
    }

    private void unreadable(String description) {
        unreadable++;
        if (unreadableExamples.size() < EXAMPLES) {
            unreadableExamples.add(description);
        }
    }

    /** The writes seen so far, in the order the stream gave them. */
    public synchronized List<ReplicaWrite> writes() {
        throwIfFailed();
        return writes.stream().map(DocumentedWrite::write).toList();
    }

    /**
     * The writes seen so far with the documents they wrote, in the order the stream gave them: an insert's or a
     * replace's document (a tombstone's: null); an update's is not told (null).
     */
    public synchronized List<DocumentedWrite> documentedWrites() {
        throwIfFailed();
        return List.copyOf(writes);
    }

    /** Events that were changes but could not be read as a write of a version (see the class comment). */
    public synchronized long unreadable() {
        return unreadable;
    }

    /** The first few unreadable events, described. */
    public synchronized List<String> unreadableExamples() {
        return List.copyOf(unreadableExamples);
    }

    /** Documents deleted from the replica (tombstones purged, or documents removed by anything else). */
    public synchronized long deletes() {
        return deletes;
    }

    /**
     * Where this log has not caught up with the collection (the one it watches). "Caught up" is decided by a marker,
     * not by state alone (a trailing repeat leaves an id's state as it was, so the last state seen can match the stored
     * one before the repeat is read): a marker document is inserted into the collection and the stream is read up to
     * it (a change stream gives one collection's writes in the order they happened), waiting up to
     * {@link #MARKER_WAIT}; a marker not read by then is reported. Once it is read, every write made before this call
     * has been read, and the stored state must agree with the log's: each document whose stored {@code _ferry} is not
     * the last state the log saw for it, and each id the log saw written that is no longer stored without the log
     * having seen its delete, is reported. Empty once the log has read every write up to now. The marker is removed
     * again before this returns.
     */
    public List<String> notCaughtUpWith(MongoCollection<BsonDocument> collection) {
        String marker = MARKER + UUID.randomUUID();
        BsonDocument markerDocument = new BsonDocument("_id", new BsonString(marker));
        collection.insertOne(markerDocument);
        try {
            if (!awaitMarker(marker)) {
                return List.of("the marker written at " + marker + " was not read from the change stream within "
                    + MARKER_WAIT.toSeconds() + " s");
            }
            return stateBehind(collection);
        } finally {
            collection.deleteOne(markerDocument);
        }
    }

    private synchronized boolean awaitMarker(String marker) {
        long deadline = System.nanoTime() + MARKER_WAIT.toNanos();
        while (!markersSeen.contains(marker)) {
            throwIfFailed();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            try {
                // the reader notifies on every marker; the bound re-checks a failed stream
                wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the replica's change stream up to a marker", e);
            }
        }
        return true;
    }

    private List<String> stateBehind(MongoCollection<BsonDocument> collection) {
        Map<String, State> stored = new HashMap<>();
        List<String> behind = new ArrayList<>();
        for (BsonDocument document : collection.find().projection(Projections.include(MongoReplicaWriter.FERRY))) {
            BsonValue id = document.get("_id");
            if (id.isString() && id.asString().getValue().startsWith(MARKER)) {
                continue; // a marker of a caller asking at the same time
            }
            String key = ReplicaIds.key(id);
            BsonDocument ferry = document.isDocument(MongoReplicaWriter.FERRY) ? document.getDocument(MongoReplicaWriter.FERRY)
                : new BsonDocument();
            stored.put(key, new State(ferry.isString("version") ? ferry.getString("version").getValue() : null,
                ferry.containsKey("deletedAt")));
        }
        Map<String, State> seen;
        synchronized (this) {
            throwIfFailed();
            seen = new HashMap<>(states);
        }
        stored.forEach((key, state) -> {
            if (!state.equals(seen.get(key))) {
                behind.add(key + ": stored " + state + ", last seen " + seen.get(key));
            }
        });
        seen.keySet().stream().filter(key -> !stored.containsKey(key))
            .forEach(key -> behind.add(key + ": last seen " + seen.get(key) + ", no longer stored"));
        return behind;
    }

    public ReplicaHistoryCheck.Verdict check() {
        ReplicaHistoryCheck check = new ReplicaHistoryCheck();
        check.recordAll(writes());
        return check.verdict();
    }

    private void throwIfFailed() {
        if (failure != null) {
            throw new IllegalStateException("the replica's change stream failed: " + failure.getMessage(), failure);
        }
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

    /** An id's {@code _ferry} as last written: its version (null if it has none) and whether it is a tombstone. */
    private record State(String version, boolean deleted) {

        /** This state with an update's description applied; null if it leaves no version. */
        State after(UpdateDescription update) {
            String version = this.version;
            boolean deleted = this.deleted;
            for (String removed : update.getRemovedFields() == null ? List.<String>of() : update.getRemovedFields()) {
                if (removed.equals(MongoReplicaWriter.FERRY)) {
                    version = null;
                    deleted = false;
                } else if (removed.equals(MongoReplicaWriter.VERSION)) {
                    version = null;
                } else if (removed.equals(MongoReplicaWriter.DELETED_AT)) {
                    deleted = false;
                }
            }
            BsonDocument updated = update.getUpdatedFields() == null ? new BsonDocument() : update.getUpdatedFields();
            BsonValue ferry = updated.get(MongoReplicaWriter.FERRY);
            if (ferry != null) {
                BsonDocument whole = ferry.isDocument() ? ferry.asDocument() : new BsonDocument();
                version = whole.isString("version") ? whole.getString("version").getValue() : null;
                deleted = whole.containsKey("deletedAt");
            }
            if (updated.containsKey(MongoReplicaWriter.VERSION)) {
                BsonValue value = updated.get(MongoReplicaWriter.VERSION);
                version = value.isString() ? value.asString().getValue() : null;
            }
            if (updated.containsKey(MongoReplicaWriter.DELETED_AT)) {
                deleted = true;
            }
            return version == null ? null : new State(version, deleted);
        }
    }
}
