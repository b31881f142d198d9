package dev.ferry.core.relay;

import java.util.concurrent.CompletableFuture;

import dev.ferry.core.event.Event;

/**
 * Publishes events to the broker: topic by aggregate type, key = aggregate id, so each aggregate's events stay
 * in order. Futures complete once the broker has acknowledged durably (acks=all).
 */
public interface EventPublisher extends AutoCloseable {

    /**
     * Sends an event; may block while the broker is unreachable and the send buffer is full (backpressure).
     *
     * @param provenance who publishes it in which epoch, and its position in the relay's output; carried in
     *                   record headers for operators and for checking duplicates
     */
    CompletableFuture<Void> publish(Event event, Provenance provenance);

    /** Sends a document that is not a valid commit to the dead-letter topic, with the reason. */
    CompletableFuture<Void> publishDeadLetter(Change.Malformed malformed, Provenance provenance);

    /**
     * Where a published record came from.
     *
     * @param instanceId the relay instance that sent it
     * @param epoch      the lease epoch it sent it in
     * @param sequence   the event's position in the relay's output, 1-based, stable across failovers
     */
    record Provenance(String instanceId, long epoch, long sequence) {
    }

    /** Flushes and closes. */
    @Override
    void close();

    /** Closes at once without flushing: what a crash leaves behind. Unacknowledged sends may be lost. */
    void abort();
}
