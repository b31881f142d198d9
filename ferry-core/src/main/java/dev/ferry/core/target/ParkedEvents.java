package dev.ferry.core.target;

import java.time.Instant;
import java.util.List;
import java.util.Set;

import dev.ferry.core.event.Event;

/**
 * The sequenced dead-letter store: an event that failed after its retries is parked together with every later
 * event of the same aggregate, so none can overtake it. Operators list parked aggregates and ask for a retry or a
 * deliberate skip; the instance that owns the aggregate's partition carries the request out.
 */
public interface ParkedEvents {

    /** Parks an event of an aggregate; events of a parked aggregate are kept in arrival order. */
    void park(String projection, ParkedEvent parked);

    /** Aggregate keys ({@code type/id}) with parked events. */
    Set<String> parkedAggregates(String projection);

    /** The parked events of one aggregate, oldest first. */
    List<ParkedEvent> parked(String projection, String aggregateKey);

    /** Removes one parked record (applied by a retry, or skipped). */
    void remove(String projection, ParkedEvent parked);

    /**
     * Records an operator's request; the owner of the aggregate's partition carries it out.
     *
     * @throws NothingParked if the aggregate has no parked events in that projection (or the projection has none
     *                       at all, as one that does not exist): there is nothing to retry or skip
     */
    void request(String projection, String aggregateKey, Request request);

    /** Projections with parked events. */
    Set<String> projections();

    /** Requests not yet carried out. */
    List<PendingRequest> pendingRequests(String projection);

    /** Marks a request carried out, with what happened. */
    void complete(String projection, PendingRequest request, String result);

    /** An operator's request. */
    enum Request {
        /** Apply the parked events in order; the aggregate rejoins the live flow if all succeed. */
        RETRY,
        /** Skip the oldest parked event (a marker records it in the read model), then retry the rest. */
        SKIP_FIRST
    }

    record PendingRequest(String id, String aggregateKey, Request request, Instant requestedAt) {
    }

    /** A request refused because it names nothing parked; the message says which part of it does not exist. */
    final class NothingParked extends RuntimeException {

        public NothingParked(String projection, String aggregateKey, Set<String> projectionsWithParkedEvents) {
            super(projectionsWithParkedEvents.contains(projection)
                ? "aggregate '" + aggregateKey + "' has no parked events in projection '" + projection
                    + "': nothing to retry or skip"
                : "projection '" + projection + "' has no parked events (projections with parked events: "
                    + new java.util.TreeSet<>(projectionsWithParkedEvents) + ")", null, false, false);
        }
    }

    /**
     * A parked event.
     *
     * @param event     the event, or null for an undecodable record (then {@code rawValue} holds it)
     * @param error     the last error, or why it was parked behind another
     * @param stack     a short stack summary of the error
     * @param attempts  attempts made
     * @param topic     where it came from
     * @param partition its partition
     * @param offset    its offset
     * @param rawValue  the record value, for poison records
     */
    record ParkedEvent(String aggregateKey, Event event, String error, String stack, int attempts, String topic,
                       int partition, long offset, String rawValue, Instant parkedAt) {
    }
}
