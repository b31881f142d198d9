package dev.ferry.it.replica;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;

import com.mongodb.MongoException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaStateCheck.Operation;
import dev.ferry.core.replica.ReplicaStateCheck.SourceChange;
import dev.ferry.mongodb.entity.EntityKeys;

/**
 * The truth a replica is checked against, independent of Ferry's relay: a change stream of its own on the source
 * collection, opened before anything is written, read on a thread of its own. Each change becomes a
 * {@link SourceChange}: the version Ferry gives a change outside a transaction (its cluster time, position 1) and the
 * {@code seq} of the state after it (an insert's or a replace's document; an update's description, or the seq before
 * it if the update left {@code seq} alone). Transactions, and documents without a {@code seq}, are not what this test
 * writes: they fail the history.
 */
final class SourceHistory implements AutoCloseable {

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor;
    private final List<SourceChange> changes = new ArrayList<>();
    /** Per id, the seq of its state as last read; absent while it does not exist. */
    private final Map<String, Long> live = new HashMap<>();
    /** Per id, the seq of its last state (kept after a delete: an update cannot follow one, but a re-create does). */
    private final Map<String, Long> lastSeq = new HashMap<>();
    private final Thread reader;
    private volatile boolean closed;
    private volatile RuntimeException failure;

    private SourceHistory(MongoChangeStreamCursor<ChangeStreamDocument<BsonDocument>> cursor) {
        this.cursor = cursor;
        this.reader = new Thread(this::read, "source-history");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts reading the collection's changes; every change after this returns is read. */
    static SourceHistory watch(MongoCollection<BsonDocument> collection) {
        return new SourceHistory(collection.watch(BsonDocument.class).maxAwaitTime(200, TimeUnit.MILLISECONDS).cursor());
    }

    private void read() {
        try {
            while (!closed) {
                ChangeStreamDocument<BsonDocument> event = cursor.tryNext();
                if (event != null) {
                    record(event);
                } else {
                    LockSupport.parkNanos(IDLE_NANOS); // pacing the poll of a server that does not wait
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
        BsonValue id = event.getDocumentKey() == null ? null : event.getDocumentKey().get("_id");
        BsonTimestamp time = event.getClusterTime();
        if (id == null || time == null || event.getTxnNumber() != null) {
            throw new IllegalStateException("not a change this history reads: " + event);
        }
        String key = EntityKeys.of(id);
        EntityVersion version = EntityVersion.ofClusterTime(Integer.toUnsignedLong(time.getTime()),
            Integer.toUnsignedLong(time.getInc()), 1);
        switch (operation) {
            case "insert", "replace" -> {
                long seq = seqOf(event.getFullDocument(), operation + " of " + key);
                add(new SourceChange(key, version, Operation.WRITE, seq));
            }
            case "update" -> {
                BsonDocument updated = event.getUpdateDescription() == null ? null
                    : event.getUpdateDescription().getUpdatedFields();
                Long before = live.get(key);
                if (before == null) {
                    throw new IllegalStateException("an update of " + key + ", which this history never saw live");
                }
                long seq = updated != null && updated.containsKey("seq") ? seqOf(updated, "update of " + key) : before;
                add(new SourceChange(key, version, Operation.UPDATE, seq));
            }
            case "delete" -> add(new SourceChange(key, version, Operation.DELETE, lastSeq.getOrDefault(key, -1L)));
            default -> throw new IllegalStateException("not a change this history reads: " + event);
        }
    }

    private void add(SourceChange change) {
        changes.add(change);
        lastSeq.put(change.id(), change.seq());
        if (change.operation() == Operation.DELETE) {
            live.remove(change.id());
        } else {
            live.put(change.id(), change.seq());
        }
    }

    private static long seqOf(BsonDocument document, String what) {
        if (document == null || !document.isNumber("seq")) {
            throw new IllegalStateException(what + " carries no seq: " + document);
        }
        return document.getNumber("seq").longValue();
    }

    /** Every change read so far, in the stream's order. */
    synchronized List<SourceChange> changes() {
        throwIfFailed();
        return List.copyOf(changes);
    }

    /**
     * Where this history has not caught up with the collection once its writers have stopped: each id whose stored seq
     * is not the one last read, each id read live that is no longer stored. Every write changes an id's seq or deletes
     * it, so an empty answer means every write was read.
     */
    List<String> notCaughtUpWith(MongoCollection<BsonDocument> collection) {
        Map<String, Long> stored = new HashMap<>();
        for (BsonDocument document : collection.find()) {
            stored.put(EntityKeys.of(document.get("_id")), document.isNumber("seq")
                ? document.getNumber("seq").longValue() : null);
        }
        Map<String, Long> read;
        synchronized (this) {
            throwIfFailed();
            read = new HashMap<>(live);
        }
        List<String> behind = new ArrayList<>();
        stored.forEach((key, seq) -> {
            if (seq == null || !seq.equals(read.get(key))) {
                behind.add(key + ": stored seq " + seq + ", read " + read.get(key));
            }
        });
        read.keySet().stream().filter(key -> !stored.containsKey(key))
            .forEach(key -> behind.add(key + ": read live, no longer stored"));
        return behind;
    }

    private void throwIfFailed() {
        if (failure != null) {
            throw new IllegalStateException("the source's change stream failed: " + failure.getMessage(), failure);
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
