package dev.ferry.embedded.mongo.internals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.backend.AbstractCursor;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;

/**
 * A change-stream cursor over {@link BoundedOplog}: turns the entries its {@link ChangeStreamScope} watches into change
 * events, runs them through the user's pipeline stages ({@code $match}, {@code $project}, ...) and returns a batch.
 * After each batch, {@link #postBatchResumeToken()} is the end of the oplog scanned so far, even if nothing matched.
 * An event larger than mongod can return fails the whole read with BSONObjectTooLarge, as on mongod.
 * A drop or rename of the watched collection (or a dropped watched database) is followed by an {@code invalidate}
 * and closes the cursor, even if a user stage filtered the invalidate out; the last post-batch token is then the
 * invalidate's, from which {@code startAfter} continues.
 * A getMore that finds nothing is answered later, when the oplog grows or its await time ends ({@link WaitingGetMores}).
 */
final class ChangeStreamCursor extends AbstractCursor {

    /** A batch is one BSON reply, which a real server caps at 16 MiB; stay well below it. */
    private static final int MAX_BATCH_BYTES = 8 * 1024 * 1024;
    private static final int DEFAULT_BATCH_SIZE = 1000;
    /**
     * The largest event mongod returns: it serializes each event as an internal BSON object, allowed 16 KiB over the
     * 16 MiB document limit (BSONObjMaxInternalSize), so an insert of a maximum-size document still fits its event; a
     * larger one (a large document with its update lookup and update description) fails the read.
     */
    private static final int MAX_EVENT_BYTES = 16 * 1024 * 1024 + 16 * 1024;
    private static final int BSON_OBJECT_TOO_LARGE = 10334;
    /** Bounds the work of one getMore when a $match filters out long runs of entries. */
    private static final int MAX_SCANNED_PER_BATCH = 50_000;

    private final BoundedOplog oplog;
    private final ChangeStreamScope scope;
    private final Aggregation aggregation;
    private final boolean lookUpUpdates;
    /** The {@code ns} document of each namespace seen, shared by its events as the stock cursor shares its one. */
    private final Map<String, Document> namespaceDocuments = new HashMap<>();
    private long position;
    /** Timestamp of the last event returned, to tell whether the post-batch position is that event. */
    private long lastReturned = -1;
    private boolean invalidated;

    ChangeStreamCursor(long id, BoundedOplog oplog, ChangeStreamScope scope, Aggregation aggregation,
                       boolean lookUpUpdates, long position) {
        super(id);
        this.oplog = oplog;
        this.scope = scope;
        this.aggregation = aggregation;
        this.lookUpUpdates = lookUpUpdates;
        this.position = position;
    }

    /** True once the stream was invalidated: the server then closes the cursor. */
    @Override
    public boolean isEmpty() {
        return invalidated;
    }

    String namespace() {
        return scope.cursorNamespace();
    }

    @Override
    public List<Document> takeDocuments(int numberToReturn) {
        int limit = numberToReturn > 0 ? numberToReturn : DEFAULT_BATCH_SIZE;
        List<Document> batch = new ArrayList<>();
        if (invalidated) {
            return batch;
        }
        int bytes = 0;
        int scanned = 0;
        for (OplogEntry entry : oplog.entriesAfter(position)) {
            if (batch.size() >= limit || bytes >= MAX_BATCH_BYTES || scanned >= MAX_SCANNED_PER_BATCH) {
                break;
            }
            scanned++;
            position = entry.timestamp();
            if (!scope.watches(entry)) {
                continue;
            }
            // Stages run one event at a time: change streams allow only per-document stages.
            List<Document> out = aggregation.runStages(Stream.of(toChangeEvent(entry)));
            for (Document event : out) {
                bytes += returnableSize(event);
            }
            if (!out.isEmpty()) {
                batch.addAll(out);
                lastReturned = entry.timestamp();
            }
            if (scope.isInvalidatedBy(entry)) {
                // A $match may filter the invalidate out; the stream ends all the same, at the invalidate's token.
                batch.addAll(aggregation.runStages(Stream.of(invalidateEvent(entry))));
                invalidated = true;
                break;
            }
        }
        return batch;
    }

    /**
     * Where a stream resumes to continue after everything this cursor has returned and scanned: the last event's
     * token if the scan ended on it, else a token for the scanned position, which moves on while nothing matches.
     */
    Document postBatchResumeToken() {
        if (invalidated) {
            return ResumeTokens.encode(position, ResumeTokens.Kind.INVALIDATE);
        }
        return position == lastReturned ? ResumeTokens.encode(position)
            : ResumeTokens.encode(position, ResumeTokens.Kind.HIGH_WATER_MARK);
    }

    /**
     * The event's encoded size, measured after the user's stages as mongod measures what it returns; one too large
     * fails the whole read, the events before it in the batch included (the cursor is then gone, as on mongod).
     */
    private static int returnableSize(Document event) {
        // counted, not encoded: the reply encodes the event once, onto the wire
        int size = EncodedSize.of(event);
        if (size > MAX_EVENT_BYTES) {
            throw new MongoServerError(BSON_OBJECT_TOO_LARGE, "BSONObjectTooLarge", "BSONObj size: " + size + " (0x"
                + Integer.toHexString(size).toUpperCase() + ") is invalid. Size must be between 0 and "
                + MAX_EVENT_BYTES + "(16MB) First element: _id: " + event.get("_id"));
        }
        return size;
    }

    private Document toChangeEvent(OplogEntry entry) {
        Document event = new Document("_id", ResumeTokens.encode(entry.timestamp()))
            .append("operationType", entry.operation().operationType())
            .append("clusterTime", new BsonTimestamp(entry.timestamp()))
            .append("wallTime", Instant.ofEpochMilli(entry.wallMillis()))
            .append("ns", namespaceDocuments.computeIfAbsent(entry.namespace(), ChangeStreamCursor::namespaceDocument));
        switch (entry.operation()) {
            case INSERT, REPLACE -> event
                .append("fullDocument", entry.document())
                .append("documentKey", new Document("_id", entry.documentId()));
            case UPDATE -> {
                event.append("documentKey", new Document("_id", entry.documentId()))
                    .append("updateDescription", entry.updateDescription());
                if (lookUpUpdates) {
                    event.append("fullDocument", oplog.lookUp(entry.namespace(), entry.documentId()));
                }
            }
            case DELETE -> event.append("documentKey", new Document("_id", entry.documentId()));
            case RENAME -> event.append("to", namespaceDocument(entry.renamedTo()));
            case DROP, DROP_DATABASE -> { }
        }
        return event;
    }

    private static Document invalidateEvent(OplogEntry cause) {
        return new Document("_id", ResumeTokens.encode(cause.timestamp(), ResumeTokens.Kind.INVALIDATE))
            .append("operationType", "invalidate")
            .append("clusterTime", new BsonTimestamp(cause.timestamp()))
            .append("wallTime", Instant.ofEpochMilli(cause.wallMillis()));
    }

    private static Document namespaceDocument(String namespace) {
        Document ns = new Document("db", ChangeStreamScope.databaseOf(namespace));
        String collection = ChangeStreamScope.collectionOf(namespace);
        return collection == null ? ns : ns.append("coll", collection);
    }
}
