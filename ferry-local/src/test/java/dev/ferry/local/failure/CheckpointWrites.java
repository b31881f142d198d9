package dev.ferry.local.failure;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;

import com.mongodb.MongoException;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

/**
 * An independent log of the relay's lease document (where its checkpoint lives): a change stream on the lease
 * collection, opened by the test and read on a thread of its own, so the relays under test do not produce it. Each
 * write of the document is replayed onto the lease's epoch and the checkpoint's epoch and sequence, giving the state
 * right after every write in the server's order. A checkpoint write whose epoch is not the lease's at that moment is a
 * deposed leader's that got through; one that lowers the checkpoint's sequence moved it back.
 */
final class CheckpointWrites implements AutoCloseable {

    private static final long IDLE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    /** Ids of the marker documents {@link #covering} writes to the lease collection to find "now" in the stream. */
    private static final String MARKER = "test-marker-";

    /** The lease document right after a write: its epoch, its checkpoint's epoch and sequence (0 if none yet). */
    record State(long leaseEpoch, long checkpointEpoch, long checkpointSequence, boolean checkpointWritten) {
        @Override
        public String toString() {
            return "lease epoch " + leaseEpoch + ", checkpoint of epoch " + checkpointEpoch + " at sequence "
                + checkpointSequence + (checkpointWritten ? " (written)" : "");
        }
    }

    private final MongoCollection<Document> leases;
    private final String relay;
    private final MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor;
    private final Thread reader;
    private final List<State> states = new ArrayList<>();
    private final Set<String> markersSeen = new HashSet<>();
    private long leaseEpoch;
    private long checkpointEpoch;
    private long checkpointSequence;
    private long unreadable;
    private volatile boolean closed;
    private volatile RuntimeException failure;

    private CheckpointWrites(MongoCollection<Document> leases, String relay,
                             MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor, Document current) {
        this.leases = leases;
        this.relay = relay;
        this.cursor = cursor;
        if (current != null) {
            apply(current, false);
        }
        this.reader = new Thread(this::read, "checkpoint-writes");
        reader.setDaemon(true);
        reader.start();
    }

    /** Starts logging the writes of {@code relay}'s lease document: every write after this returns is seen. */
    static CheckpointWrites watch(MongoCollection<Document> leases, String relay) {
        MongoChangeStreamCursor<ChangeStreamDocument<Document>> cursor = leases.watch()
            .maxAwaitTime(200, TimeUnit.MILLISECONDS).cursor();
        // The state before the first write seen; the stream is already open, so nothing after this read is missed.
        return new CheckpointWrites(leases, relay, cursor, leases.find(new Document("_id", relay)).first());
    }

    private void read() {
        try {
            while (!closed) {
                ChangeStreamDocument<Document> event = cursor.tryNext();
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

    private synchronized void record(ChangeStreamDocument<Document> event) {
        BsonValue id = event.getDocumentKey() == null ? null : event.getDocumentKey().get("_id");
        if (id != null && id.isString() && id.asString().getValue().startsWith(MARKER)) {
            markersSeen.add(id.asString().getValue());
            return;
        }
        if (id == null || !id.isString() || !id.asString().getValue().equals(relay)) {
            return; // another lease (a projector's partition, a member)
        }
        switch (event.getOperationTypeString()) {
            case "insert", "replace" -> {
                if (event.getFullDocument() == null) {
                    unreadable++;
                    return;
                }
                apply(event.getFullDocument(), true);
            }
            case "update" -> {
                if (event.getUpdateDescription() == null || event.getUpdateDescription().getUpdatedFields() == null) {
                    unreadable++;
                    return;
                }
                apply(event.getUpdateDescription().getUpdatedFields(), true);
            }
            default -> {
                return; // a delete or the collection's own events: no write of the lease's epoch or checkpoint
            }
        }
    }

    /** Replays changed fields: a whole {@code checkpoint} (a {@code $set} of it) or its fields (a delta of it). */
    private void apply(Map<String, ?> fields, boolean logged) {
        boolean checkpoint = false;
        leaseEpoch = number(fields.get("epoch"), leaseEpoch);
        Object whole = fields.get("checkpoint");
        Map<String, ?> inner = null;
        if (whole instanceof Document document) {
            inner = document;
        } else if (whole instanceof BsonDocument document) {
            inner = document;
        }
        if (inner != null) {
            checkpoint = true;
            checkpointEpoch = number(inner.get("epoch"), checkpointEpoch);
            checkpointSequence = number(inner.get("sequence"), checkpointSequence);
        }
        if (fields.keySet().stream().anyMatch(field -> field.startsWith("checkpoint."))) {
            // a real server may log a $set of a sub-document as the fields that changed: the others kept their value
            checkpoint = true;
            checkpointEpoch = number(fields.get("checkpoint.epoch"), checkpointEpoch);
            checkpointSequence = number(fields.get("checkpoint.sequence"), checkpointSequence);
        }
        if (logged) {
            states.add(new State(leaseEpoch, checkpointEpoch, checkpointSequence, checkpoint));
        }
    }

    private static long number(Object value, long unchanged) {
        if (value instanceof Number number) {
            return number.longValue();
        }
        if (value instanceof BsonValue bson && bson.isNumber()) {
            return bson.asNumber().longValue();
        }
        return unchanged;
    }

    /**
     * The checkpoint as the lease passed from {@code epoch} to a later one: the last one written before the takeover.
     * Waits (up to {@code atMost}) for the stream to show the takeover; fails saying so if it does not.
     */
    State atTakeoverFrom(long epoch, Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            synchronized (this) {
                throwIfFailed();
                for (State state : states) {
                    if (state.leaseEpoch() > epoch) {
                        return state;
                    }
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the change stream on the lease " + relay + " has not shown the "
                    + "takeover from epoch " + epoch + " after " + atMost);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /**
     * Every write of the lease document made before this call. Decided by a marker, not by the stored state: a marker
     * document is inserted into the lease collection now and the stream is read up to it (it gives the collection's
     * writes in the order they happened), so a trailing write that left the epoch and sequence as they were is in the
     * list too. The stream must then show at least the state stored before the call ({@code stored}: the document read
     * from the collection). A stream that has not shown the marker after {@code atMost}, or shows it but not the
     * stored state, fails saying so. The marker is removed again (no lease has a {@value #MARKER} name).
     */
    List<State> covering(Document stored, Duration atMost) {
        long epoch = ((Number) stored.get("epoch")).longValue();
        Document checkpoint = stored.get("checkpoint", Document.class);
        long sequence = checkpoint == null ? 0 : ((Number) checkpoint.get("sequence")).longValue();
        String marker = MARKER + UUID.randomUUID();
        leases.insertOne(new Document("_id", marker));
        try {
            long deadline = System.nanoTime() + atMost.toNanos();
            while (true) {
                synchronized (this) {
                    throwIfFailed();
                    if (unreadable > 0) {
                        throw new IllegalStateException(unreadable + " writes of the lease " + relay + " could not be "
                            + "read from the change stream");
                    }
                    if (markersSeen.contains(marker)) {
                        if (leaseEpoch >= epoch && checkpointSequence >= sequence) {
                            return List.copyOf(states);
                        }
                        throw new IllegalStateException("the change stream on the lease " + relay + " showed the marker "
                            + "written after the stored state (epoch " + epoch + ", checkpoint sequence " + sequence
                            + ") but not that state: lease epoch " + leaseEpoch + ", checkpoint sequence "
                            + checkpointSequence + " (the log misread a write)");
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the change stream on the lease " + relay + " has not shown the "
                        + "marker written after the stored state (epoch " + epoch + ", checkpoint sequence " + sequence
                        + ") after " + atMost + " (a partial history proves nothing)");
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            }
        } finally {
            leases.deleteOne(new Document("_id", marker));
        }
    }

    /** Checkpoint writes of {@code epoch} after the first write that gave the lease a later epoch. */
    static List<State> writesOfEpochAfterTakeover(List<State> states, long epoch) {
        List<State> late = new ArrayList<>();
        boolean takenOver = false;
        for (State state : states) {
            takenOver |= state.leaseEpoch() > epoch;
            if (takenOver && state.checkpointWritten() && state.checkpointEpoch() == epoch) {
                late.add(state);
            }
        }
        return late;
    }

    /** Checkpoint writes that lowered the checkpoint's sequence, or were written under an epoch not the lease's. */
    static List<String> violations(List<State> states) {
        List<String> violations = new ArrayList<>();
        long highest = 0;
        for (State state : states) {
            if (!state.checkpointWritten()) {
                continue;
            }
            if (state.checkpointSequence() < highest) {
                violations.add("checkpoint moved back from sequence " + highest + ": " + state);
            }
            if (state.checkpointEpoch() != state.leaseEpoch()) {
                violations.add("checkpoint written by a deposed leader: " + state);
            }
            highest = Math.max(highest, state.checkpointSequence());
        }
        return violations;
    }

    private void throwIfFailed() {
        if (failure != null) {
            throw new IllegalStateException("the change stream on the lease " + relay + " failed: "
                + failure.getMessage(), failure);
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
