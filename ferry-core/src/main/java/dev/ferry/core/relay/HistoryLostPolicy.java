package dev.ferry.core.relay;

/** What the relay does when its resume point has left the source's retained history (MongoDB error 286). */
public enum HistoryLostPolicy {
    /** Stop relaying and say what happened and what to do: events may be missing downstream. The default. */
    FAIL,
    /** Record the gap durably ({@link GapLog}) and continue from now. Events in the gap are not relayed. */
    RESTART_FROM_NOW,
    /**
     * Re-publish every source from the start (a fresh copy: note a new stream position, copy, then stream from it).
     * Nothing is skipped; everything is published again and consumers absorb the duplicates by version.
     */
    RECOPY
}
