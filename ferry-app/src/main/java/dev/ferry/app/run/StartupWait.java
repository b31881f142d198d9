package dev.ferry.app.run;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

import dev.ferry.app.admin.Reachability;
import dev.ferry.core.transport.Unanswered;

/**
 * How {@code relay}, {@code project} and {@code replicate} start: MongoDB and the transport are tried again, with
 * capped exponential backoff, until they answer or {@code startupTimeout} has passed — rather than given up on at the
 * first try, so that a pod waits, live and not ready, while its backends come up instead of crash-looping. At most
 * one log line every few seconds while it waits; at the end, {@link Unreachable} (exit status 3) naming what did not
 * answer.
 */
final class StartupWait {

    static final Duration FIRST_PAUSE = Duration.ofMillis(500);
    static final Duration LONGEST_PAUSE = Duration.ofSeconds(5);
    /** A check waits at least this long for an answer, even when less of the timeout is left. */
    static final Duration SHORTEST_PROBE = Duration.ofSeconds(1);
    static final Duration LOG_EVERY = Duration.ofSeconds(5);

    /** The backends' check: null if all answer within {@code timeout}, else the first that did not. */
    interface Backends {
        Unanswered firstUnanswered(Duration timeout);
    }

    interface Pause {
        void pause(Duration duration) throws InterruptedException;
    }

    private final Backends backends;
    private final Duration timeout;
    private final LongSupplier nanoTime;
    private final Pause pause;
    private final Consumer<String> log;
    private volatile Unanswered waitingFor;

    /** @param log where the retry lines go, e.g. {@code "waiting … : cannot reach Kafka at …"} */
    StartupWait(Backends backends, Duration timeout, Consumer<String> log) {
        this(backends, timeout, System::nanoTime, duration -> Thread.sleep(duration.toMillis()), log);
    }

    StartupWait(Backends backends, Duration timeout, LongSupplier nanoTime, Pause pause, Consumer<String> log) {
        this.backends = backends;
        this.timeout = timeout;
        this.nanoTime = nanoTime;
        this.pause = pause;
        this.log = log;
    }

    /** What it last found unreachable, for {@code /status}; null before the first check and once all answer. */
    Unanswered waitingFor() {
        return waitingFor;
    }

    /**
     * Returns once MongoDB and the transport answer.
     *
     * @throws Unreachable if one still did not answer when the timeout passed
     */
    void await() throws InterruptedException {
        long started = nanoTime.getAsLong();
        long loggedAt = 0;
        boolean logged = false;
        Duration nextPause = FIRST_PAUSE;
        while (true) {
            Duration left = timeout.minus(Duration.ofNanos(nanoTime.getAsLong() - started));
            Unanswered unanswered = backends.firstUnanswered(atLeast(SHORTEST_PROBE, atMost(Reachability.PROBE_TIMEOUT,
                left)));
            waitingFor = unanswered;
            if (unanswered == null) {
                return;
            }
            long now = nanoTime.getAsLong();
            Duration waited = Duration.ofNanos(now - started);
            if (waited.compareTo(timeout) >= 0) {
                throw new Unreachable(unanswered.line(timeout));
            }
            if (!logged || now - loggedAt >= LOG_EVERY.toNanos()) {
                log.accept("waiting for " + unanswered.backend() + " (" + waited.toSeconds() + " s of startupTimeout "
                    + Unanswered.spelled(timeout) + "): " + unanswered.cause());
                loggedAt = now;
                logged = true;
            }
            pause.pause(atMost(nextPause, timeout.minus(waited)));
            nextPause = atMost(nextPause.multipliedBy(2), LONGEST_PAUSE);
        }
    }

    private static Duration atMost(Duration limit, Duration duration) {
        return duration.compareTo(limit) > 0 ? limit : duration;
    }

    private static Duration atLeast(Duration floor, Duration duration) {
        return duration.compareTo(floor) < 0 ? floor : duration;
    }
}
