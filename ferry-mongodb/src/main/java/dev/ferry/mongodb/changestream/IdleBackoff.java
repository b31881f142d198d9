package dev.ferry.mongodb.changestream;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits after an empty read that the server answered at once, doubling the wait up to a cap while that goes on. A
 * MongoDB server waits inside getMore (maxAwaitTime) and such reads are rare; a server that does not would otherwise
 * be polled in a busy loop.
 */
final class IdleBackoff {

    private final long minNanos;
    private final long maxNanos;
    private long nextNanos;

    IdleBackoff(Duration min, Duration max) {
        if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
            throw new IllegalArgumentException("idle back-off needs 0 < min <= max, was " + min + " and " + max);
        }
        this.minNanos = min.toNanos();
        this.maxNanos = max.toNanos();
        this.nextNanos = minNanos;
    }

    /** Called after an empty read: parks the thread for the current wait and lengthens the next one. */
    void idle() {
        LockSupport.parkNanos(nextNanos);
        nextNanos = Math.min(nextNanos * 2, maxNanos);
    }

    /** Called after a read that returned something. */
    void reset() {
        nextNanos = minNanos;
    }

    long nextWaitNanos() {
        return nextNanos;
    }
}
