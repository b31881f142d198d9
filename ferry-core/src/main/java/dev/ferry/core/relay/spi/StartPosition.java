package dev.ferry.core.relay.spi;

import java.time.Instant;
import java.util.Objects;

/** Where a change feed starts. */
public sealed interface StartPosition {

    /** Just after a checkpointed token: the normal case once a relay has run. */
    record AfterToken(ResumeToken token) implements StartPosition {
        public AfterToken {
            Objects.requireNonNull(token, "token");
        }
    }

    /** Only changes made from now on. */
    record Now() implements StartPosition {
    }

    /**
     * Everything the sources hold: with no checkpoint yet, the relay copies every source (noting the stream position
     * first), then streams from the noted position. Not a position a feed opens at.
     */
    record Earliest() implements StartPosition {
    }

    /** Changes made at or after a point in time, if the source still retains them. */
    record AtTime(Instant time) implements StartPosition {
        public AtTime {
            Objects.requireNonNull(time, "time");
        }
    }
}
