package dev.ferry.core.projection;

import dev.ferry.core.event.Event;

/**
 * Applies changes to a read model only in version order: the change for version v is written only if the
 * aggregate's read model is at v - 1, in one conditional write, so a duplicate is skipped and a gap is never
 * silently applied.
 */
public interface ReadModelWriter {

    /** Outcome of one apply. */
    enum Outcome {
        /** Written; the aggregate is now at the event's version. */
        APPLIED,
        /** The read model is already at or past the event's version: nothing written. */
        DUPLICATE,
        /** The read model is behind the version before this event: an event is missing. Nothing written. */
        GAP
    }

    Outcome apply(Projection projection, Event event, ReadModelChange change);

    /** The aggregate's version in the read model, 0 if it has none. */
    long version(Projection projection, String aggregateId);

    /**
     * An operator's deliberate skip: advances the aggregate to {@code event}'s version without applying it and
     * records a marker (event id, type, reason, time) in the read model, visible later.
     */
    Outcome skip(Projection projection, Event event, String reason);
}
