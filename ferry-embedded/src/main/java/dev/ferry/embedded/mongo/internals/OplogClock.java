package dev.ferry.embedded.mongo.internals;

import java.time.Clock;

/**
 * Hands out strictly increasing oplog timestamps (seconds in the high 32 bits, an increment in the low 32),
 * even if the wall clock steps back: order in the oplog must be commit order, whatever the clock does.
 */
final class OplogClock {

    private final Clock clock;
    private long last;

    OplogClock(Clock clock) {
        this.clock = clock;
    }

    synchronized long next() {
        long firstOfThisSecond = (clock.instant().getEpochSecond() << 32) | 1L;
        last = Math.max(firstOfThisSecond, last + 1);
        return last;
    }

    synchronized long last() {
        return last;
    }

    long wallMillis() {
        return clock.millis();
    }
}
