package dev.ferry.it.relay;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

/**
 * Every checkpoint write MongoDB applied to a relay's lease document, in the order it applied them, from the test's
 * own change stream on the lease collection: evidence of what landed that does not come from the relay. Reads both
 * forms of an update's fields (the whole {@code checkpoint}, or a real server's {@code checkpoint.epoch}-style diff).
 */
final class CheckpointWrites implements AutoCloseable {

    /** One checkpoint write as it landed. */
    record Write(long epoch, long sequence) {
    }

    private static final String MARKER = "test-marker-";
    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final MongoCollection<Document> leases;
    private final String relayName;
    private final MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor;
    private final List<Write> writes = new CopyOnWriteArrayList<>();
    private final Set<String> markers = ConcurrentHashMap.newKeySet();
    private final Thread reader;
    private volatile boolean running = true;
    private volatile RuntimeException failure;
    private long epoch = -1;
    private long sequence = -1;

    /** Opens the stream now: every later write is seen. */
    CheckpointWrites(MongoCollection<Document> leases, String relayName) {
        this.leases = leases;
        this.relayName = relayName;
        this.cursor = leases.watch().maxAwaitTime(200, TimeUnit.MILLISECONDS).cursor();
        this.reader = new Thread(this::read, "checkpoint-writes");
        reader.setDaemon(true);
        reader.start();
    }

    private void read() {
        while (running) {
            try {
                ChangeStreamDocument<Document> change = cursor.tryNext();
                if (change == null) {
                    // the embedded server's getMore returns at once when idle (a real one waits maxAwaitTime)
                    LockSupport.parkNanos(IDLE_NANOS);
                    continue;
                }
                if (change.getDocumentKey() == null) {
                    continue;
                }
                BsonValue id = change.getDocumentKey().get("_id");
                String key = id != null && id.isString() ? id.asString().getValue() : "";
                if (key.startsWith(MARKER)) {
                    markers.add(key);
                } else if (key.equals(relayName)) {
                    record(change);
                }
            } catch (RuntimeException e) {
                if (running) {
                    failure = e;
                    return;
                }
            }
        }
    }

    private void record(ChangeStreamDocument<Document> change) {
        boolean touched = false;
        if (change.getUpdateDescription() != null) {
            BsonDocument fields = change.getUpdateDescription().getUpdatedFields();
            if (fields != null && fields.isDocument("checkpoint")) {
                epoch = fields.getDocument("checkpoint").getNumber("epoch").longValue();
                sequence = fields.getDocument("checkpoint").getNumber("sequence").longValue();
                touched = true;
            }
            if (fields != null && fields.isNumber("checkpoint.epoch")) {
                epoch = fields.getNumber("checkpoint.epoch").longValue();
                touched = true;
            }
            if (fields != null && fields.isNumber("checkpoint.sequence")) {
                sequence = fields.getNumber("checkpoint.sequence").longValue();
                touched = true;
            }
        } else if (change.getFullDocument() != null && change.getFullDocument().get("checkpoint") instanceof Document c) {
            epoch = ((Number) c.get("epoch")).longValue();
            sequence = ((Number) c.get("sequence")).longValue();
            touched = true;
        }
        if (touched) {
            writes.add(new Write(epoch, sequence));
        }
    }

    /** Waits until the stream has delivered every write MongoDB applied before this call (a marker written after). */
    void catchUp(Duration timeout) {
        String marker = MARKER + UUID.randomUUID();
        leases.insertOne(new Document("_id", marker));
        await().atMost(timeout).until(() -> {
            if (failure != null) {
                throw new AssertionError("the test's change stream on the lease collection failed", failure);
            }
            return markers.contains(marker);
        });
    }

    /** Every checkpoint write seen so far, in the order MongoDB applied them. */
    List<Write> writes() {
        return List.copyOf(writes);
    }

    /** The highest sequence checkpointed under {@code epoch}, if that epoch wrote a checkpoint. */
    OptionalLong lastSequenceOf(long epoch) {
        return writes.stream().filter(w -> w.epoch() == epoch).mapToLong(Write::sequence).max();
    }

    /** The highest epoch any checkpoint was written in so far, or -1. */
    long highestEpoch() {
        return writes.stream().mapToLong(Write::epoch).max().orElse(-1);
    }

    /**
     * Writes that moved the checkpoint back: to an epoch below one already checkpointed (a deposed leader's write
     * landing after its successor's), or to a lower sequence.
     */
    List<String> movedBack() {
        List<String> back = new java.util.ArrayList<>();
        long highestEpoch = -1;
        long highestSequence = -1;
        for (Write write : writes) {
            if (write.epoch() < highestEpoch || write.sequence() < highestSequence) {
                back.add(write + " after epoch " + highestEpoch + " / sequence " + highestSequence);
            }
            highestEpoch = Math.max(highestEpoch, write.epoch());
            highestSequence = Math.max(highestSequence, write.sequence());
        }
        return back;
    }

    @Override
    public void close() {
        running = false;
        try {
            reader.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        cursor.close();
    }
}
