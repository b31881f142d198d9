package dev.ferry.core.projection;

import java.util.Objects;

/**
 * What a handler does to its aggregate's read-model document. The writer applies it together with the new
 * version in one conditional write, so it takes effect exactly once.
 */
public sealed interface ReadModelChange {

    /** Replaces the document's fields with these (a JSON object). */
    record Put(String json) implements ReadModelChange {
        public Put {
            Objects.requireNonNull(json, "json");
        }
    }

    /** Sets these fields (a JSON object), keeping the others. */
    record Merge(String json) implements ReadModelChange {
        public Merge {
            Objects.requireNonNull(json, "json");
        }
    }

    /** Removes the aggregate from the read model (a tombstone keeps its version, so replays stay idempotent). */
    record Remove() implements ReadModelChange {
    }

    /** Changes nothing but the version: events a projection does not handle still advance it. */
    record Unchanged() implements ReadModelChange {
    }

    ReadModelChange UNCHANGED = new Unchanged();
    ReadModelChange REMOVE = new Remove();
}
