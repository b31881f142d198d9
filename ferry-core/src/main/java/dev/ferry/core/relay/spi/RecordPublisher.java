package dev.ferry.core.relay.spi;

import java.util.concurrent.CompletableFuture;

import dev.ferry.core.event.FerryRecord;

/**
 * Publishes records to the broker: topic by {@link FerryRecord#type()}, key = {@link FerryRecord#key()}, so each
 * aggregate's (or entity's) records stay in order. Futures complete once the broker has acknowledged durably
 * (acks=all). One port for every record kind: a transport writes each kind in its wire format.
 * <p>
 * Publishing is two steps so that what cannot be carried is found before anything is sent: {@link #prepare} derives
 * everything the transport makes of a record (topic or subject, key, headers, value) and checks it against the
 * transport's rules, without I/O; {@link #publish(Prepared, Provenance)} sends it. The relay prepares every record of
 * a change before sending any, so a change is published whole or dead-lettered whole.
 */
public interface RecordPublisher extends AutoCloseable {

    /**
     * Derives and checks what the transport sends for {@code record}, without I/O.
     *
     * @throws RecordRefused naming the field and the rule, if the transport cannot carry it
     */
    Prepared prepare(FerryRecord record);

    /**
     * Sends a prepared record; may block while the broker is unreachable and the send buffer is full (backpressure).
     * A future failing with {@link RecordRefused} means the broker refused the record for its content (a limit lower
     * than the one {@link #prepare} checks); any other failure is the environment's.
     *
     * @param provenance who publishes it in which epoch, and its position in the relay's output; carried in
     *                   record headers for operators and for checking duplicates
     */
    CompletableFuture<Void> publish(Prepared record, Provenance provenance);

    /** Prepares and sends; a record that cannot be carried fails the future with {@link RecordRefused}. */
    default CompletableFuture<Void> publish(FerryRecord record, Provenance provenance) {
        Prepared prepared;
        try {
            prepared = prepare(record);
        } catch (RecordRefused e) {
            return CompletableFuture.failedFuture(e);
        }
        return publish(prepared, provenance);
    }

    /** Sends a document that cannot be published as its kind to the dead-letter topic, with the reason. */
    CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance);

    /**
     * The checkpoints of the term that publishes through this publisher: {@code store} itself, unless the transport
     * keeps the relay's position with the records it commits (Kafka's exactly-once mode), where the returned store
     * reads the position the transport holds and {@linkplain CheckpointStore#commitsTheRecordsSent() commits the records
     * sent} with each save. Asked once per term, before the term reads its checkpoint.
     *
     * @param relay the relay's name
     */
    default CheckpointStore checkpoints(String relay, CheckpointStore store) {
        return store;
    }

    /** A record as the transport will send it: made by {@link #prepare} of the same publisher. */
    interface Prepared {
        FerryRecord record();
    }

    /**
     * Where a published record came from.
     *
     * @param instanceId the relay instance that sent it
     * @param epoch      the lease epoch it sent it in
     * @param sequence   the record's position in the relay's output, 1-based, stable across failovers
     */
    record Provenance(String instanceId, long epoch, long sequence) {
    }

    /** Flushes and closes. */
    @Override
    void close();

    /** Closes at once without flushing: what a crash leaves behind. Unacknowledged sends may be lost. */
    void abort();
}
