package dev.ferry.mongodb.replica;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.bson.BsonDocument;
import org.bson.BsonValue;

import com.mongodb.MongoException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaHistoryCheck;
import dev.ferry.core.replica.ReplicaWrite;

/**
 * An independent log of every write to a MongoDB replica collection: a change stream on it, read on a thread of its
 * own from the moment {@link #watch} returns. Every insert and replace event carries the document as written (no
 * lookup, so what it shows is what was written then, not what is there now); its {@code _ferry.version} and whether
 * it has {@code _ferry.deletedAt} make one {@link ReplicaWrite}. Deletes (purges) are not writes of a version and are
 * skipped; an update event (the writer never updates in place) counts as {@link #unreadable()}.
 */
public final class MongoReplicaHistory implements AutoCloseable {

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
    private final List<ReplicaWrite> writes = new ArrayList<>();
    private final Thread reader;
    private volatile boolean closed;
    private volatile RuntimeException failure;
    private long unreadable;

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
        switch (event.getOperationTypeString()) {
            case "insert", "replace" -> {
                BsonDocument document = event.getFullDocument();
                BsonDocument ferry = document == null || !document.isDocument(MongoReplicaWriter.FERRY) ? null
                    : document.getDocument(MongoReplicaWriter.FERRY);
                if (ferry == null || !ferry.isString("version")) {
                    unreadable++;
                    return;
                }
                BsonValue id = event.getDocumentKey() != null ? event.getDocumentKey().get("_id") : document.get("_id");
                writes.add(new ReplicaWrite(ReplicaIds.key(id), new EntityVersion(ferry.getString("version").getValue()),
                    ferry.containsKey("deletedAt")));
            }
            case "update" -> unreadable++;
            default -> {
                // deletes are purges; drops and invalidations end nothing the check needs
            }
        }
    }

    /** The writes seen so far, in the order the stream gave them. */
    public synchronized List<ReplicaWrite> writes() {
        throwIfFailed();
        return List.copyOf(writes);
    }

    /** Events that were writes but could not be read as one (no {@code _ferry.version}, or an update in place). */
    public synchronized long unreadable() {
        return unreadable;
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
}
