package dev.ferry.engine;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.event.Event;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.target.ParkedEvents.ParkedEvent;
import dev.ferry.core.target.RetryPolicy;

/**
 * Parks records in the dead-letter store so that none of an aggregate's later events overtakes a parked one: once an
 * aggregate has a parked event, every later event of it is parked behind, until an operator's retry empties it.
 * Knows which aggregates are parked (here or by any instance; confirmed against the store when used).
 */
final class SequencedParking<R> {

    private static final Logger log = LoggerFactory.getLogger(SequencedParking.class);

    private final String projection;
    private final LaneTarget<R, ?> target;
    private final ParkedEvents store;
    private final RetryPolicy retry;
    private final Lifecycle lifecycle;
    private final Counters counters;
    private final PartitionedSubscription fence;
    private final Set<String> parkedAggregates = ConcurrentHashMap.newKeySet();

    /** @param fence asked before every parking write whether this instance still owns the record's partition */
    SequencedParking(LaneTarget<R, ?> target, ParkedEvents store, RetryPolicy retry, Lifecycle lifecycle,
                     Counters counters, PartitionedSubscription fence) {
        this.projection = target.name();
        this.target = target;
        this.store = store;
        this.retry = retry;
        this.lifecycle = lifecycle;
        this.counters = counters;
        this.fence = fence;
    }

    /** Learns of aggregates parked by any instance. */
    void refresh() {
        parkedAggregates.addAll(store.parkedAggregates(projection));
    }

    /** Parked here or elsewhere and not yet retried (a stale local entry is dropped on the way). */
    boolean isParked(String aggregateKey) {
        if (!parkedAggregates.contains(aggregateKey)) {
            return false;
        }
        if (store.parked(projection, aggregateKey).isEmpty()) {
            parkedAggregates.remove(aggregateKey);
            return false;
        }
        return true;
    }

    /** An operator's retry emptied the aggregate's parked events: it is live again. */
    void released(String aggregateKey) {
        parkedAggregates.remove(aggregateKey);
    }

    /** Parks a record behind its aggregate's parked ones and finishes it; a fenced one is left unfinished. */
    void parkBehind(String aggregateKey, R record, LaneItem.Delivered delivered) {
        if (park(aggregateKey, record, delivered.record(), "parked behind an earlier parked event of this aggregate", "",
            0)) {
            delivered.finish();
        }
    }

    /**
     * Parks one record. Parking must not fail: a record that is neither applied nor parked would hold its partition's
     * acknowledgement back, so it is retried until it succeeds or the instance stops.
     *
     * Fenced like a read-model write: a former owner of the partition (paused past its lease) parks nothing — a
     * parked record would hold the aggregate's later events back while the next owner applies them.
     *
     * @param decoded null for an undecodable record; a record whose target keeps no event is kept by its raw value
     * @return true if parked; false if this instance no longer owns the partition (the record is left unfinished,
     *         for the partition's next owner)
     */
    boolean park(String aggregateKey, R decoded, SubscribedRecord record, String error, String stack, int attempts) {
        if (!fence.mayWrite(record.partition(), record.position(), record.position())) {
            return false;
        }
        parkedAggregates.add(aggregateKey);
        Event event = decoded == null ? null : target.parkedAs(decoded);
        ParkedEvent parked = new ParkedEvent(aggregateKey, event, error, stack, attempts, record.partition().topic(),
            record.partition().number(), record.position(),
            event == null && record.value() != null ? new String(record.value(), StandardCharsets.UTF_8) : null,
            Instant.now());
        for (int attempt = 1; ; attempt++) {
            try {
                if (attempt > 1 && !fence.mayWrite(record.partition(), record.position(), record.position())) {
                    return false; // lost the partition while the store was unreachable
                }
                store.park(projection, parked);
                break;
            } catch (RuntimeException e) {
                if (!lifecycle.active()) {
                    throw e; // stopping: the record stays unfinished and is re-delivered to the next owner
                }
                log.warn("{}: cannot park {} yet (attempt {}): {}", projection, aggregateKey, attempt,
                    e.toString());
                LockSupport.parkNanos(retry.backoffAfter(Math.min(attempt, 10)).toNanos());
            }
        }
        counters.parked.incrementAndGet();
        if (attempts > 0 || decoded == null) {
            log.warn("{}: parked {} ({}){}", projection, aggregateKey, error,
                decoded == null ? "" : " at " + target.describe(decoded));
        }
        return true;
    }
}
