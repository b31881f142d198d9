package dev.ferry.core.relay;

import java.util.concurrent.CompletableFuture;

import dev.ferry.core.event.FerryRecord;

/**
 * Publishes records to the broker: topic by {@link FerryRecord#type()}, key = {@link FerryRecord#key()}, so each
 * aggregate's (or entity's) records stay in order. Futures complete once the broker has acknowledged durably
 * (acks=all). One port for every record kind: a transport writes each kind in its wire format.
 */
public interface RecordPublisher extends AutoCloseable {

    /**
     * Sends a record; may block while the broker is unreachable and the send buffer is full (backpressure).
     *
     * @param provenance who publishes it in which epoch, and its position in the relay's output; carried in
     *                   record headers for operators and for checking duplicates
     */
    CompletableFuture<Void> publish(FerryRecord record, Provenance provenance);

    /** Sends a document that is not a valid commit to the dead-letter topic, with the reason. */
    CompletableFuture<Void> publishDeadLetter(Change.Malformed malformed, Provenance provenance);

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
