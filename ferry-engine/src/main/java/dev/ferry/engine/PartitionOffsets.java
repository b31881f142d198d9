package dev.ferry.engine;

import java.util.TreeSet;

/**
 * The offsets of one partition that are in flight in this assignment. Records finish out of order (different
 * aggregates run in parallel); the committable offset is the lowest unfinished one, so a commit never passes a
 * record that is not done.
 */
final class PartitionOffsets {

    private final TreeSet<Long> unfinished = new TreeSet<>();
    private long nextAfterSeen = -1;
    private long committed = -1;
    private volatile boolean revoked;

    synchronized void add(long offset) {
        unfinished.add(offset);
        nextAfterSeen = Math.max(nextAfterSeen, offset + 1);
    }

    synchronized void finish(long offset) {
        unfinished.remove(offset);
    }

    /** The offset to commit (the next record to read after a restart), or -1 if nothing new is committable. */
    synchronized long committable() {
        long candidate = unfinished.isEmpty() ? nextAfterSeen : unfinished.first();
        return candidate > committed ? candidate : -1;
    }

    synchronized void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    synchronized int inFlight() {
        return unfinished.size();
    }

    /** This assignment ended: its unfinished records are abandoned and will be re-delivered to the next owner. */
    void revoke() {
        revoked = true;
    }

    boolean isRevoked() {
        return revoked;
    }
}
