package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.backend.AbstractCursor;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A change-stream cursor over {@link BoundedOplog}: turns the entries of one namespace into change events,
 * runs them through the user's pipeline stages ({@code $match}, {@code $project}, ...) and returns a batch.
 * Unlike a real server, a getMore on an idle stream returns an empty batch at once instead of waiting.
 */
final class ChangeStreamCursor extends AbstractCursor {

    /** A batch is one BSON reply, which a real server caps at 16 MiB; stay well below it. */
    private static final int MAX_BATCH_BYTES = 8 * 1024 * 1024;
    private static final int DEFAULT_BATCH_SIZE = 1000;
    /** Generous size of an event's fields besides the document itself. */
    private static final int EVENT_OVERHEAD_BYTES = 512;
    /** Bounds the work of one getMore when a $match filters out long runs of entries. */
    private static final int MAX_SCANNED_PER_BATCH = 50_000;

    private final BoundedOplog oplog;
    private final String namespace;
    private final Document namespaceDocument;
    private final Aggregation aggregation;
    private final boolean lookUpUpdates;
    private long position;

    ChangeStreamCursor(long id, BoundedOplog oplog, String namespace, Aggregation aggregation,
                       boolean lookUpUpdates, long position) {
        super(id);
        this.oplog = oplog;
        this.namespace = namespace;
        this.namespaceDocument = new Document("db", Utils.getDatabaseNameFromFullName(namespace))
            .append("coll", Utils.getCollectionNameFromFullName(namespace));
        this.aggregation = aggregation;
        this.lookUpUpdates = lookUpUpdates;
        this.position = position;
    }

    @Override
    public boolean isEmpty() {
        return false;
    }

    @Override
    public List<Document> takeDocuments(int numberToReturn) {
        int limit = numberToReturn > 0 ? numberToReturn : DEFAULT_BATCH_SIZE;
        List<Document> batch = new ArrayList<>();
        int bytes = 0;
        int scanned = 0;
        for (OplogEntry entry : oplog.entriesAfter(position)) {
            if (batch.size() >= limit || bytes >= MAX_BATCH_BYTES || scanned >= MAX_SCANNED_PER_BATCH) {
                break;
            }
            scanned++;
            position = entry.timestamp();
            if (!entry.namespace().equals(namespace)) {
                continue;
            }
            // Stages run one event at a time: change streams allow only per-document stages.
            List<Document> out = aggregation.runStages(Stream.of(toChangeEvent(entry)));
            batch.addAll(out);
            bytes += entry.bsonBytes() + EVENT_OVERHEAD_BYTES;
        }
        return batch;
    }

    private Document toChangeEvent(OplogEntry entry) {
        Document event = new Document("_id", ResumeTokens.encode(entry.timestamp()))
            .append("operationType", entry.operation().operationType())
            .append("clusterTime", new BsonTimestamp(entry.timestamp()))
            .append("wallTime", Instant.ofEpochMilli(entry.wallMillis()))
            .append("ns", namespaceDocument);
        switch (entry.operation()) {
            case INSERT, REPLACE -> event
                .append("fullDocument", entry.document())
                .append("documentKey", new Document("_id", entry.documentId()));
            case UPDATE -> {
                event.append("documentKey", new Document("_id", entry.documentId()));
                if (lookUpUpdates) {
                    event.append("fullDocument", oplog.lookUp(namespace, entry.documentId()));
                }
            }
            case DELETE -> event.append("documentKey", new Document("_id", entry.documentId()));
            case DROP -> { }
        }
        return event;
    }
}
