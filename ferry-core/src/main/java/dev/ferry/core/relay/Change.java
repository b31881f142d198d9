package dev.ferry.core.relay;

import java.util.List;
import java.util.Objects;

import dev.ferry.core.event.Event;

/** One entry of the change feed: a stored commit, or a document that is not a valid commit. */
public sealed interface Change {

    /** Where the feed resumes to continue just after this change. */
    ResumeToken token();

    /** A commit of the event store: 1..n events of one aggregate, in version order. */
    record Commit(ResumeToken token, List<Event> events) implements Change {
        public Commit {
            Objects.requireNonNull(token, "token");
            events = List.copyOf(events);
        }
    }

    /** A document in the event-store collection that is not a valid commit; it goes to the dead-letter topic. */
    record Malformed(ResumeToken token, String documentJson, String reason) implements Change {
        public Malformed {
            Objects.requireNonNull(token, "token");
            Objects.requireNonNull(documentJson, "documentJson");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
