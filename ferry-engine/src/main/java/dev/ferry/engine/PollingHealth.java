package dev.ferry.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongSupplier;

/**
 * Whether the polling thread works: an error inside its loop (the transport's poll, an acknowledgement, the parked
 * event store) is retried after a backoff that doubles from 100 ms to 10 s, and shown meanwhile — in the status, and,
 * once it has lasted the stall timeout, in readiness — instead of ending the thread while the process looks healthy.
 * Failing without a pass for longer than {@link ProcessorSettings#pollingGivesUpAfter()}, or an error it cannot go on
 * from (the subscription does not open, a JVM error), ends the work: its partitions are handed over, and the process
 * should be restarted. Written by the polling thread only; read by any.
 */
final class PollingHealth {

    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    /**
     * One consistent view, replaced whole.
     *
     * @param failure      why it does not get through now, or why its work ended ({@code stopped: …}); null while it works
     * @param failingSince since when it has failed without a pass in between; null while it works
     * @param ended        its work ended for good
     */
    record State(String failure, Instant failingSince, boolean ended) {
        static final State WORKING = new State(null, null, false);
    }

    /** When the current run of failures began, on the monotonic clock (the limit must not follow wall-clock jumps). */
    private long failingSinceNanos;

    private final Clock clock;
    private final LongSupplier nanoTime;
    private final Duration givesUpAfter;
    private volatile State state = State.WORKING;
    private int attempts;

    PollingHealth(Clock clock, LongSupplier nanoTime, Duration givesUpAfter) {
        this.clock = clock;
        this.nanoTime = nanoTime;
        this.givesUpAfter = givesUpAfter;
    }

    State state() {
        return state;
    }

    /**
     * A pass of the loop failed; it is tried again after the returned backoff.
     *
     * @return how long to wait before the next pass
     * @throws GaveUp if it has failed without a pass for longer than it may
     */
    Duration failed(Throwable error) {
        Instant since = state.failingSince();
        if (since == null) {
            since = clock.instant();
            failingSinceNanos = nanoTime.getAsLong();
        }
        if (nanoTime.getAsLong() - failingSinceNanos > givesUpAfter.toNanos()) {
            throw new GaveUp("failing without a pass since " + since + " (longer than " + givesUpAfter.toSeconds()
                + " s); last: " + describe(error), error);
        }
        state = new State(describe(error), since, false);
        long millis = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempts, 20));
        attempts++;
        return Duration.ofMillis(millis);
    }

    /** A pass of the loop went through: the failure, if any, is over. */
    void passed() {
        if (state != State.WORKING) {
            state = State.WORKING;
            attempts = 0;
        }
    }

    /** The work ended on an error it cannot go on from. */
    void ended(Throwable error) {
        Instant since = state.failingSince() == null ? clock.instant() : state.failingSince();
        state = new State("stopped: " + describe(error), since, true);
    }

    /** Passes failed in a row so far. */
    int attempts() {
        return attempts;
    }

    private static String describe(Throwable error) {
        if (error instanceof GaveUp) {
            return error.getMessage();
        }
        return error.getMessage() == null ? error.getClass().getName() : error.getClass().getName() + ": "
            + error.getMessage();
    }

    /** Failing for longer than allowed: the loop ends, so that the partitions go to instances that work. */
    static final class GaveUp extends RuntimeException {

        GaveUp(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
