package dev.ferry.core.relay.spi;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** The event store's change stream, as the relay reads it. */
public interface ChangeSource {

    /**
     * Opens a feed of the changes after {@code start}.
     *
     * @throws HistoryLost if the source no longer retains the start position
     */
    ChangeFeed open(StartPosition start);

    /**
     * Opens a feed of the changes after {@code start} of every source but {@code excluded} (sources being copied
     * while the others stream).
     */
    default ChangeFeed open(StartPosition start, Set<String> excluded) {
        if (excluded.isEmpty()) {
            return open(start);
        }
        throw new UnsupportedOperationException("this source cannot leave out some of its sources");
    }

    /** Opens a feed of the changes after {@code start} of {@code source} alone. */
    default ChangeFeed openOnly(StartPosition start, String source) {
        throw new UnsupportedOperationException("this source cannot read one of its sources alone");
    }

    /**
     * Orders two positions this source issued: negative if {@code a} comes first, 0 if they are the same point.
     */
    default int compare(ResumeToken a, ResumeToken b) {
        throw new UnsupportedOperationException("this source cannot order its positions");
    }

    /**
     * The source's own time of a position it issued (MongoDB: the cluster time in the resume token), if it can tell:
     * how far behind the relay is, and where a gap starts, by the server's clock rather than when a checkpoint was
     * written.
     */
    default Optional<Instant> timeOf(ResumeToken position) {
        return Optional.empty();
    }

    /**
     * The changes the source still retains (MongoDB: its oplog's oldest and newest entry), if it can tell; a position
     * older than {@link RetainedHistory#oldest()} can no longer be resumed from.
     */
    default Optional<RetainedHistory> retained() {
        return Optional.empty();
    }

    /** The window of changes a source still retains, by its own clock. */
    record RetainedHistory(Instant oldest, Instant newest) {

        public RetainedHistory {
            Objects.requireNonNull(oldest, "oldest");
            Objects.requireNonNull(newest, "newest");
        }

        public Duration span() {
            return Duration.between(oldest, newest);
        }

        @Override
        public String toString() {
            return oldest + " .. " + newest + " (" + span().toMillis() / 1000.0 + " s)";
        }
    }

    /** A feed of changes; one reading thread. */
    interface ChangeFeed extends AutoCloseable {

        /**
         * The next changes in commit order, possibly none after a short idle wait.
         *
         * @throws HistoryLost if the feed fell behind the source's retained history
         */
        java.util.List<Change> poll();

        /** The position after everything polled so far (may move on while the source is quiet), or null. */
        ResumeToken position();

        @Override
        void close();
    }
}
