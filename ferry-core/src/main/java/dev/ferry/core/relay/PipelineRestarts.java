package dev.ferry.core.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A leader's restarts of its pipeline after failures of its environment: counted by cause for status and metrics,
 * the last one kept, and the wait before each — doubling with each failure in a row from the first backoff up to a
 * cap, and starting again from the first once something was acknowledged in between. Recorded by the relay's worker
 * thread; read by any.
 */
final class PipelineRestarts {

    private final long firstBackoffNanos;
    private final long maxBackoffNanos;
    private final AtomicLongArray counts = new AtomicLongArray(RelayStatus.Fault.values().length);
    private volatile RelayStatus.Failure last;
    private volatile boolean progressed;
    private int inARow;

    PipelineRestarts(Duration firstBackoff, Duration maxBackoff) {
        this.firstBackoffNanos = firstBackoff.toNanos();
        this.maxBackoffNanos = maxBackoff.toNanos();
    }

    /** Something was acknowledged: the failures so far are no longer in a row. */
    void progressed() {
        progressed = true;
    }

    /**
     * Records a restart caused by {@code fault}.
     *
     * @return how long to wait before restarting, in nanoseconds
     */
    long record(RelayStatus.Fault fault, Throwable cause, Instant now) {
        if (progressed) {
            inARow = 0;
            progressed = false;
        }
        long backoff = Math.min(maxBackoffNanos, firstBackoffNanos << Math.min(inARow, 20));
        inARow++;
        counts.incrementAndGet(fault.ordinal());
        last = new RelayStatus.Failure(now, fault, String.valueOf(cause));
        return backoff;
    }

    /** Failures in a row, the last one included. */
    int inARow() {
        return inARow;
    }

    Map<RelayStatus.Fault, Long> byFault() {
        EnumMap<RelayStatus.Fault, Long> byFault = new EnumMap<>(RelayStatus.Fault.class);
        for (RelayStatus.Fault fault : RelayStatus.Fault.values()) {
            byFault.put(fault, counts.get(fault.ordinal()));
        }
        return byFault;
    }

    /** The last failure that restarted the pipeline, or null. */
    RelayStatus.Failure last() {
        return last;
    }
}
