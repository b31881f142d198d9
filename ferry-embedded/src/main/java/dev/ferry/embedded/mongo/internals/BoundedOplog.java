package dev.ferry.embedded.mongo.internals;

import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.NavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Supplier;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.Cursor;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;
import de.bwaldvogel.mongo.oplog.Oplog;

/**
 * The embedded server's oplog, replacing mongo-java-server's stock one where Ferry depends on it:
 * <ul>
 *   <li>only writes that actually happened are recorded (the stock insert path also hands over documents
 *       that a duplicate-key error rejected);</li>
 *   <li>updates carry {@code documentKey: {_id}} and an {@code updateDescription}, replacements are {@code replace}
 *       events; findAndModify writes, renames and dropped databases are recorded too;</li>
 *   <li>bounded: the oldest entries are evicted past {@code capacity}, and resuming from an evicted point fails
 *       with ChangeStreamHistoryLost (286), as on a real replica set whose oplog window has passed;</li>
 *   <li>entries are kept in a sorted map, so a cursor positions itself in O(log n) instead of scanning.</li>
 * </ul>
 * Correct ordering relies on the server running the commands of one collection one at a time ({@link CommandLanes}),
 * so that each collection's entries are appended in its commit order; appends themselves are serialized here.
 */
public final class BoundedOplog implements Oplog {

    static final int CHANGE_STREAM_HISTORY_LOST = 286;
    static final int CHANGE_STREAM_FATAL_ERROR = 280;
    static final int INVALID_RESUME_TOKEN = 260;
    private static final String ID = "_id";

    private final MongoBackend backend;
    private final CursorRegistry cursorRegistry;
    private final OplogClock clock;
    private final UpdateImages updateImages;
    private final int capacity;
    private final Reads reads;
    private volatile Runnable whenAppended = () -> { };
    private final NavigableMap<Long, OplogEntry> entries = new ConcurrentSkipListMap<>();
    private int size;
    /** Timestamp of the newest evicted entry; a resume point before it has lost history. */
    private volatile long evictedUpTo;

    BoundedOplog(MongoBackend backend, CursorRegistry cursorRegistry, Clock clock, int capacity,
                 UpdateImages updateImages, Reads reads) {
        if (capacity < 1) {
            throw new IllegalArgumentException("oplog capacity must be at least 1, was " + capacity);
        }
        this.backend = backend;
        this.cursorRegistry = cursorRegistry;
        this.clock = new OplogClock(clock);
        this.capacity = capacity;
        this.updateImages = updateImages;
        this.reads = reads;
    }

    /** How the oplog reads a document of a collection, from whichever lane it runs on ({@link CommandLanes#read}). */
    @FunctionalInterface
    interface Reads {
        /** On the calling thread: for a backend whose commands all run on one thread. */
        Reads INLINE = (namespace, reading) -> reading.get();

        Document read(String namespace, Supplier<Document> reading);
    }

    /** Tells {@code listener} of every entry appended, right after (on the appending thread; it must not block). */
    void whenAppended(Runnable listener) {
        this.whenAppended = listener;
    }

    @Override
    public void handleInsert(String namespace, List<Document> documents) {
        MongoCollection<?> collection = collection(namespace);
        if (collection == null) {
            return;
        }
        for (Document document : documents) {
            Object id = document.get(ID);
            // The memory backend stores the very instance it was given: a document rejected by a unique
            // index is not that instance, or not there at all. An insert command's collection knows what it stored.
            if (id != null && (collection instanceof ObservedMemoryCollection observed
                && observed.takeStoredByInsert(document) || storedDocument(collection, id) == document)) {
                // A copy of the top level is a snapshot: the backend updates a stored document in place, but only by
                // removing and putting top-level fields whose new values are fresh copies; it never changes an
                // embedded document or array it holds (AbstractMongoCollection.updateDocument, mongo-java-server
                // 1.47.0). A deep copy of a Ferry commit made about five times its garbage (issue 30).
                append(namespace, ChangeOperation.INSERT, id, document.clone(), null, null);
            }
        }
    }

    @Override
    public void handleUpdate(String namespace, Document selector, Document update, List<Object> modifiedIds) {
        boolean replacement = update.keySet().stream().noneMatch(key -> key.startsWith("$"));
        MongoCollection<?> collection = collection(namespace);
        for (Object id : modifiedIds) {
            Document stored = collection == null ? null : storedDocument(collection, id);
            Document before = updateImages.take(namespace, id);
            if (replacement) {
                // a snapshot, as in handleInsert
                Document newDocument = stored == null ? null : stored.clone();
                append(namespace, ChangeOperation.REPLACE, id, newDocument, null, null);
            } else {
                // the description keeps values of the stored document, which later updates replace, never change
                Document description = before == null || stored == null ? UpdateDescriptions.none()
                    : UpdateDescriptions.describe(before, stored, update);
                append(namespace, ChangeOperation.UPDATE, id, null, description, null);
            }
        }
        updateImages.clear();
    }

    @Override
    public void handleDelete(String namespace, Document query, List<Object> deletedIds) {
        for (Object id : deletedIds) {
            append(namespace, ChangeOperation.DELETE, id, null, null, null);
        }
    }

    @Override
    public void handleDropCollection(String namespace) {
        // the memory backend's own bookkeeping collections, which a real server does not have
        if (!ChangeStreamScope.collectionOf(namespace).startsWith("system.")) {
            append(namespace, ChangeOperation.DROP, null, null, null, null);
        }
    }

    /** A collection renamed (the stock server tells its oplog nothing). */
    void handleRename(String fromNamespace, String toNamespace) {
        append(fromNamespace, ChangeOperation.RENAME, null, null, null, toNamespace);
    }

    /** A database dropped, after the drops of its collections. */
    void handleDropDatabase(String database) {
        append(database, ChangeOperation.DROP_DATABASE, null, null, null, null);
    }

    @Override
    public Cursor createCursor(Document changeStream, String namespace, Aggregation aggregation) {
        return openCursor(changeStream, ChangeStreamScope.ofCollection(namespace), aggregation);
    }

    /** A change-stream cursor over a collection, a database or the whole deployment, registered with the server. */
    ChangeStreamCursor openCursor(Document changeStream, ChangeStreamScope scope, Aggregation aggregation) {
        long position = startPosition(changeStream);
        ChangeStreamCursor cursor = new ChangeStreamCursor(cursorRegistry.generateCursorId(), this, scope,
            aggregation, fullDocumentLookup(changeStream), position);
        cursorRegistry.add(cursor);
        return cursor;
    }

    /** Timestamp of the newest entry (0 if none yet): the time a reply's {@code operationTime} reports. */
    long lastTimestamp() {
        return clock.last();
    }

    /**
     * The retained entries in natural (oldest first) or reverse order, at most {@code limit}, as a replica set's
     * {@code local.oplog.rs} holds them: {@code ts}, {@code t}, {@code wall}, {@code op}, {@code ns}.
     */
    List<Document> oplogDocuments(boolean newestFirst, int limit) {
        Collection<OplogEntry> ordered = newestFirst ? entries.descendingMap().values() : entries.values();
        return ordered.stream().limit(limit).map(entry -> new Document("ts", new BsonTimestamp(entry.timestamp()))
            .append("t", 1L)
            .append("wall", java.time.Instant.ofEpochMilli(entry.wallMillis()))
            .append("op", entry.operation().oplogCode())
            .append("ns", entry.namespace())).toList();
    }

    /** Number of entries currently retained. */
    public synchronized int size() {
        return size;
    }

    /** Entries after {@code position}, oldest first; fails if entries after it have been evicted. */
    Collection<OplogEntry> entriesAfter(long position) {
        if (position < evictedUpTo) {
            throw historyLost(position);
        }
        return entries.tailMap(position, false).values();
    }

    /** The current version of a document, for {@code fullDocument: updateLookup}. */
    Document lookUp(String namespace, Object id) {
        return reads.read(namespace, () -> {
            MongoCollection<?> collection = collection(namespace);
            return collection == null ? null : storedDocument(collection, id);
        });
    }

    private void append(String namespace, ChangeOperation operation, Object id, Document document,
                        Document updateDescription, String renamedTo) {
        synchronized (this) {
            long timestamp = clock.next();
            entries.put(timestamp, new OplogEntry(timestamp, clock.wallMillis(), namespace, operation, id, document,
                updateDescription, renamedTo));
            size++;
            while (size > capacity) {
                evictedUpTo = entries.pollFirstEntry().getKey();
                size--;
            }
        }
        whenAppended.run();
    }

    private long startPosition(Document changeStream) {
        Object startAfter = changeStream.get("startAfter");
        Object resumeAfter = changeStream.get("resumeAfter");
        Object startAt = changeStream.get("startAtOperationTime");
        if (startAfter != null || resumeAfter != null) {
            ResumeTokens.Position token = ResumeTokens.decode(startAfter != null ? startAfter : resumeAfter);
            if (startAfter == null && token.kind() == ResumeTokens.Kind.INVALIDATE) {
                throw new MongoServerError(INVALID_RESUME_TOKEN, "InvalidResumeToken",
                    "cannot resume a stream after an invalidate event; use startAfter to start a new one");
            }
            checkResumable(token);
            return token.timestamp();
        }
        if (startAt instanceof BsonTimestamp timestamp) {
            long exclusive = timestamp.getValue() - 1;
            if (exclusive < evictedUpTo) {
                throw historyLost(exclusive);
            }
            return exclusive;
        }
        return clock.last();
    }

    private void checkResumable(ResumeTokens.Position position) {
        long token = position.timestamp();
        if (token < evictedUpTo) {
            throw historyLost(token);
        }
        if (token > clock.last()) {
            throw new MongoServerError(CHANGE_STREAM_FATAL_ERROR, "ChangeStreamFatalError",
                "cannot resume stream; the resume token is from the future: " + Long.toHexString(token));
        }
        // an event's token names an entry; a post-batch or invalidate token may point between entries
        if (position.kind() == ResumeTokens.Kind.EVENT && token != evictedUpTo && !entries.containsKey(token)) {
            throw new MongoServerError(CHANGE_STREAM_FATAL_ERROR, "ChangeStreamFatalError",
                "cannot resume stream; the resume token was not found: " + Long.toHexString(token));
        }
    }

    private static MongoServerError historyLost(long position) {
        return new MongoServerError(CHANGE_STREAM_HISTORY_LOST, "ChangeStreamHistoryLost",
            "Resume of change stream was not possible, as the resume point " + Long.toHexString(position)
                + " may no longer be in the oplog.");
    }

    private static boolean fullDocumentLookup(Document changeStream) {
        Object option = changeStream.get("fullDocument");
        return "updateLookup".equals(option) || "whenAvailable".equals(option) || "required".equals(option);
    }

    private MongoCollection<?> collection(String namespace) {
        MongoDatabase database = backend.resolveDatabase(Utils.getDatabaseNameFromFullName(namespace));
        return database.resolveCollection(Utils.getCollectionNameFromFullName(namespace), false);
    }

    private static Document storedDocument(MongoCollection<?> collection, Object id) {
        for (Document stored : collection.handleQuery(new Document(ID, id), 0, 1)) {
            return stored;
        }
        return null;
    }
}
