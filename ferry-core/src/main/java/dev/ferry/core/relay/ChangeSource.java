package dev.ferry.core.relay;

/** The event store's change stream, as the relay reads it. */
public interface ChangeSource {

    /**
     * Opens a feed of the changes after {@code start}.
     *
     * @throws HistoryLost if the source no longer retains the start position
     */
    ChangeFeed open(StartPosition start);

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
