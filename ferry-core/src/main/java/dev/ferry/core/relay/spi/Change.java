package dev.ferry.core.relay.spi;

import java.util.List;
import java.util.Objects;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.event.Tombstone;

/**
 * One entry of the change feed, whatever kind of source it came from: the records it publishes, in order, and the
 * position after it. The relay publishes {@link #records()} and dead-letters {@link Refused} changes; it does not
 * care which kind a change is, so a new source kind (mapped events, entity changes) adds a kind here and leaves the
 * relay's loop alone.
 */
public sealed interface Change {

    /** Where the feed resumes to continue just after this change. */
    ResumeToken token();

    /** What this change publishes, in order; none for a malformed document. */
    List<? extends FerryRecord> records();

    /** A commit of Ferry's event store: 1..n events of one aggregate, in version order. */
    record Commit(ResumeToken token, List<Event> events) implements Change {
        public Commit {
            Objects.requireNonNull(token, "token");
            events = List.copyOf(events);
        }

        @Override
        public List<Event> records() {
            return events;
        }
    }

    /** One document of an event store in the users' own schema, read as Ferry's event by the source's mapping. */
    record MappedEvent(ResumeToken token, Event event) implements Change {
        public MappedEvent {
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(event, "event");
        }

        @Override
        public List<Event> records() {
            return List.of(event);
        }
    }

    /**
     * One change of one document of an entity collection: the {@link EntityChange}, and after a delete the
     * {@link Tombstone} of its key.
     */
    record EntityChanged(ResumeToken token, EntityChange change) implements Change {
        public EntityChanged {
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(change, "change");
        }

        @Override
        public List<FerryRecord> records() {
            return change.operation() == EntityOperation.DELETE ? List.of(change, new Tombstone(change))
                : List.of(change);
        }
    }

    /**
     * A watermark a relay wrote into the stream to bracket a chunk of a copy ({@link SourceCopy#readChunk}): it
     * publishes nothing, and every relay but the one that wrote it passes over it.
     *
     * @param value what the relay wrote, to recognise its own
     */
    record Watermark(ResumeToken token, String value) implements Change {
        public Watermark {
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(value, "value");
        }

        @Override
        public List<FerryRecord> records() {
            return List.of();
        }
    }

    /**
     * A document of a source that cannot be published as its kind; it goes to the dead-letter topic with the reason.
     *
     * @param documentJson the document, or as much of it as identifies it (an oversized one: its {@code _id})
     */
    record Refused(ResumeToken token, String documentJson, String reason, Cause cause) implements Change {
        /** A reason quotes the document (a type, an id): bounded, so that the dead letter itself always fits a record. */
        public static final int MAX_REASON_CHARS = 2_000;

        public Refused {
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(documentJson, "documentJson");
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(cause, "cause");
            if (reason.length() > MAX_REASON_CHARS) {
                reason = reason.substring(0, MAX_REASON_CHARS) + "… (" + reason.length() + " characters)";
            }
        }

        /** A document that cannot be read as its source's kind. */
        public Refused(ResumeToken token, String documentJson, String reason) {
            this(token, documentJson, reason, Cause.UNREADABLE);
        }

        @Override
        public List<FerryRecord> records() {
            return List.of();
        }

        /** Why it is dead-lettered, for the metrics. */
        public enum Cause {
            /** not readable as its source's kind */
            UNREADABLE,
            /** its record would exceed the broker's record size */
            OVERSIZED,
            /** its key is also another document's key (entities) */
            KEY_COLLISION,
            /** a re-created entity whose own version field is not above its tombstone's */
            STALE_VERSION,
            /** readable, but the transport cannot carry what it derives (a topic or subject name, a header value) */
            UNCARRIABLE
        }
    }
}
