package dev.ferry.local.failure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonValue;

import com.mongodb.MongoException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

/**
 * An independent log of every write to a read-model collection: a change stream on it, opened by the test before any
 * projector writes and read on a thread of its own. The writer under test does not produce it, so a duplicate or
 * reordered apply it hides from itself is still seen: each insert, replace or update event says which version the
 * write set ({@code _version} of the inserted document, or of the update's {@code updatedFields}). An applied run
 * always moves {@code _version} forward, so a write that does not — same version, or none in its updated fields — is a
 * duplicate apply, and one that sets a lower version than already written is an order violation.
 * (As ferry-it's {@code ReadModelHistory}; the modules share no test code.)
 */
final class ReadModelWrites implements AutoCloseable {

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    /**
     * Ids of the marker documents {@link #verdictCovering} writes to find where "now" is in the stream; other watchers
     * of a read model ignore them too.
     */
    static final String MARKER = "test-history-marker-";

    private final String namespace;
    private final MongoCollection<BsonDocument> collection;
    private final MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
    private final Thread reader;
    /** Per document id, the versions its writes set in stream order; null for a write that set no version. */
    private final Map<String, List<Long>> writes = new HashMap<>();
    private long unreadable;
    private long deletes;
    private final Set<String> markersSeen = new java.util.HashSet<>();
    private volatile boolean closed;
    private volatile RuntimeException failure;

    private ReadModelWrites(MongoCollection<BsonDocument> collection,
                             MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor) {
        this.namespace = collection.getNamespace().getFullName();
        this.collection = collection;
        this.cursor = cursor;
        this.reader = new Thread(this::read, "read-model-history");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts logging the collection's writes: every write after this returns is seen. */
    static ReadModelWrites watch(MongoCollection<?> collection) {
        MongoCollection<BsonDocument> documents = collection.withDocumentClass(BsonDocument.class);
        return new ReadModelWrites(documents, documents.watch(BsonDocument.class)
            .maxAwaitTime(200, TimeUnit.MILLISECONDS).cursor());
    }

    private void read() {
        try {
            while (!closed) {
                ChangeStreamDocument<BsonDocument> event = cursor.tryNext();
                if (event != null) {
                    record(event);
                } else {
                    // the embedded server's getMore returns at once when idle (a real one waits maxAwaitTime)
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
        BsonValue id = event.getDocumentKey() == null ? null : event.getDocumentKey().get("_id");
        if (id != null && id.isString() && id.asString().getValue().startsWith(MARKER)) {
            markersSeen.add(id.asString().getValue()); // the history's own marker (and its removal): no read-model write
            notifyAll();
            return;
        }
        switch (event.getOperationTypeString()) {
            case "insert", "replace" -> {
                BsonDocument document = event.getFullDocument();
                if (document == null || id == null || !document.isNumber("_version")) {
                    unreadable++;
                    return;
                }
                writes.computeIfAbsent(key(id), k -> new ArrayList<>()).add(document.getNumber("_version").longValue());
            }
            case "update" -> {
                if (id == null || event.getUpdateDescription() == null) {
                    unreadable++;
                    return;
                }
                BsonDocument updated = event.getUpdateDescription().getUpdatedFields();
                writes.computeIfAbsent(key(id), k -> new ArrayList<>()).add(updated != null && updated.isNumber("_version")
                    ? updated.getNumber("_version").longValue() : null);
            }
            case "delete" -> deletes++; // no projector deletes a read-model document: counted, and checked as such
            default -> {
                // drop, rename, invalidate: the collection itself, not a write of a document
            }
        }
    }

    private static String key(BsonValue id) {
        return id.isString() ? id.asString().getValue() : id.toString();
    }

    /**
     * What the stream has shown, once it has shown every write made before this call. "Every write" is decided by a
     * marker, not by versions: a marker document is inserted into the collection now and the stream is read up to it
     * (a change stream gives one collection's writes in the order they happened), so a trailing repeat that leaves a
     * document's version where it was is read before the verdict too. Then every document must have been seen at least
     * at {@code versions} (per document id, the version the collection held before this call). A stream that has not
     * shown the marker within {@code atMost}, or that shows it but lags a document, fails saying so: a verdict from
     * part of the writes would say nothing about the rest. The marker is removed again before this returns (the history
     * ignores its insert and delete); nothing else reads a document by a {@value #MARKER} id.
     */
    Verdict verdictCovering(Map<String, Long> versions, Duration atMost) {
        String marker = MARKER + UUID.randomUUID();
        collection.insertOne(new BsonDocument("_id", new BsonString(marker)));
        try {
            Verdict verdict;
            Map<String, String> behind = new HashMap<>();
            long deadline = System.nanoTime() + atMost.toNanos();
            synchronized (this) {
                while (!markersSeen.contains(marker)) {
                    throwIfFailed();
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IllegalStateException("the change stream on " + namespace + " has not shown the marker "
                            + "written after the work within " + atMost + " (a partial history proves nothing); "
                            + writes.size() + " documents seen written so far");
                    }
                    try {
                        // the reader notifies on every marker; the bound re-checks a failed stream
                        wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 200)));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted while reading " + this + " up to its marker", e);
                    }
                }
                versions.forEach((id, version) -> {
                    long seen = highest(writes.get(id));
                    if (seen < version) {
                        behind.put(id, "stored " + version + ", seen " + seen);
                    }
                });
                verdict = verdict();
            }
            if (!behind.isEmpty()) {
                throw new IllegalStateException("the change stream on " + namespace + " showed the marker written after "
                    + "the work but not the writes of " + behind.size() + " documents (the history misread them), e.g. "
                    + behind.entrySet().stream().limit(5).toList());
            }
            return verdict;
        } finally {
            collection.deleteOne(new BsonDocument("_id", new BsonString(marker)));
        }
    }

    private static long highest(List<Long> versions) {
        long highest = 0;
        if (versions != null) {
            for (Long version : versions) {
                highest = version == null ? highest : Math.max(highest, version);
            }
        }
        return highest;
    }

    private Verdict verdict() {
        long total = 0;
        long duplicates = 0;
        long order = 0;
        long covered = 0;
        List<String> examples = new ArrayList<>();
        for (Map.Entry<String, List<Long>> entry : writes.entrySet()) {
            long previous = 0;
            for (Long version : entry.getValue()) {
                total++;
                if (version == null || version == previous) {
                    duplicates++; // a write that moved nothing forward: something applied again
                    example(examples, entry.getKey() + ": a write at version " + previous + " set " + version);
                } else if (version < previous) {
                    order++; // the document went back in time
                    example(examples, entry.getKey() + ": version " + version + " written after " + previous);
                } else {
                    covered += version - previous;
                }
                previous = version == null ? previous : Math.max(previous, version);
            }
        }
        return new Verdict(total, covered, duplicates, order, unreadable, deletes, List.copyOf(examples));
    }

    private static void example(List<String> examples, String example) {
        if (examples.size() < 10) {
            examples.add(example);
        }
    }

    private void throwIfFailed() {
        if (failure != null) {
            throw new IllegalStateException("the change stream on " + namespace + " failed: " + failure.getMessage(),
                failure);
        }
    }

    /**
     * @param writes          write events seen
     * @param versionsCovered versions the writes moved documents forward by, added up: each event applied once
     *                        and in order makes this the number of events
     * @param duplicates      writes that moved a document nowhere (a repeated apply)
     * @param orderViolations writes that moved a document back
     * @param unreadable      write events with no readable document id or version
     * @param deletes         documents deleted (no projector deletes one: a Remove leaves a tombstone)
     */
    record Verdict(long writes, long versionsCovered, long duplicates, long orderViolations, long unreadable,
                          long deletes, List<String> examples) {
    }

    @Override
    public String toString() {
        return "the change stream on " + namespace;
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
