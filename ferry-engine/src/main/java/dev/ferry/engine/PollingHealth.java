package dev.ferry.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Whether the polling thread works: an error inside its loop (the transport's poll, an acknowledgement, the parked
 * event store) is retried after a backoff that doubles from 100 ms to 10 s, and shown meanwhile — in the status, and,
 * once it has lasted the stall timeout, in readiness — instead of ending the thread while the process looks healthy.
 * An error it cannot go on from (the subscription does not open, a JVM error) ends the work for good: the process
 * should be restarted, and says so.
 */
final class PollingHealth {

    static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(10);

    private final Clock clock;
    private volatile String failure;
    private volatile Instant failingSince;
    private volatile boolean ended;
    private int attempts;

    PollingHealth(Clock clock) {
        this.clock = clock;
    }

    /**
     * A pass of the loop failed; it is tried again after the returned backoff.
     *
     * @return how long to wait before the next pass
     */
    Duration failed(Throwable error) {
        if (failingSince == null) {
            failingSince = clock.instant();
        }
        failure = describe(error);
        long millis = Math.min(MAX_BACKOFF.toMillis(), FIRST_BACKOFF.toMillis() << Math.min(attempts, 20));
        attempts++;
        return Duration.ofMillis(millis);
    }

    /** A pass of the loop went through: the failure, if any, is over. */
    void passed() {
        if (failingSince != null) {
            failingSince = null;
            failure = null;
            attempts = 0;
        }
    }

    /** The work ended on an error it cannot go on from. */
    void ended(Throwable error) {
        if (failingSince == null) {
            failingSince = clock.instant();
        }
        failure = "stopped: " + describe(error);
        ended = true;
    }

    /** Why the work does not progress now, or null. */
    String failure() {
        return failure;
    }

    /** Since when the loop has failed without a pass in between (or ended); null while it works. */
    Instant failingSince() {
        return failingSince;
    }

    boolean ended() {
        return ended;
    }

    /** Passes failed in a row so far. */
    int attempts() {
        return attempts;
    }

    private static String describe(Throwable error) {
        return error.getMessage() == null ? error.getClass().getName() : error.getClass().getName() + ": "
            + error.getMessage();
    }
}
