package dev.ferry.engine;

import java.time.Clock;
import java.time.Instant;
import java.util.TreeSet;

/**
 * The offsets of one partition that are in flight in this assignment. Records finish out of order (different
 * aggregates run in parallel); the committable offset is the lowest unfinished one, so a commit never passes a
 * record that is not done. It also tells since when its records have waited with none finished: a partition that
 * makes no progress.
 */
final class PartitionOffsets {

    private final Clock clock;
    private final TreeSet<Long> unfinished = new TreeSet<>();
    private long nextAfterSeen = -1;
    private long committed = -1;
    /** Epoch millis of the last progress while records wait (one arrived into none, or one finished); -1: none wait. */
    private long waitingSinceMillis = -1;
    private volatile boolean revoked;

    PartitionOffsets() {
        this(Clock.systemUTC());
    }

    PartitionOffsets(Clock clock) {
        this.clock = clock;
    }

    synchronized void add(long offset) {
        if (unfinished.isEmpty()) {
            waitingSinceMillis = clock.millis();
        }
        unfinished.add(offset);
        nextAfterSeen = Math.max(nextAfterSeen, offset + 1);
    }

    synchronized void finish(long offset) {
        if (unfinished.remove(offset)) {
            waitingSinceMillis = unfinished.isEmpty() ? -1 : clock.millis();
        }
    }

    /** Since when records have waited here with none finished; null while none wait. */
    synchronized Instant waitingSince() {
        return waitingSinceMillis < 0 ? null : Instant.ofEpochMilli(waitingSinceMillis);
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
