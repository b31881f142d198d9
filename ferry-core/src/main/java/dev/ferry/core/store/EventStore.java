package dev.ferry.core.store;

import java.util.List;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.NewEvent;

/** Appends events atomically with optimistic concurrency, and reads an aggregate's history. */
public interface EventStore {

    /**
     * Appends events to one aggregate, all or nothing.
     *
     * @param expectedVersion the aggregate's current version as the caller saw it (0 for a new aggregate)
     * @return the stored events, with versions {@code expectedVersion + 1 ...}
     * @throws ConcurrencyConflict if another append got there first; nothing is stored
     * @throws EventTooLarge       if an event could not be published to the broker; nothing is stored
     */
    List<Event> append(String aggregateType, String aggregateId, long expectedVersion, List<NewEvent> events);

    /** All events of one aggregate, in version order. */
    List<Event> read(String aggregateType, String aggregateId);
}
