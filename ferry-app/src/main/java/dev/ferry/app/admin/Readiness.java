package dev.ferry.app.admin;

import java.time.Clock;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * What {@code /health/ready} answers: not ready while the process starts (it waits for its backends), then ready while
 * MongoDB and the transport answer and its work is not stalled. A standby relay or a rebalance is not "unready", so
 * rolling updates do not stall on them; a standby relay is unready only while it rehearses its takeover, seconds at
 * most, so that a rolling update replaces the leader once a warm standby can take over.
 */
public final class Readiness implements BooleanSupplier {

    private final Reachability reachability;
    private final Clock clock;
    /** Null while starting; then whether the work has waited without progress for longer than allowed, at an instant. */
    private volatile Predicate<Instant> stalledAt;

    public Readiness(Reachability reachability, Clock clock) {
        this.reachability = reachability;
        this.clock = clock;
    }

    /** The process has started; from now on it is ready unless {@code stalledAt} the current instant, or unreachable. */
    public void running(Predicate<Instant> stalledAt) {
        this.stalledAt = stalledAt;
    }

    @Override
    public boolean getAsBoolean() {
        Predicate<Instant> stalled = stalledAt;
        return stalled != null && !stalled.test(clock.instant()) && reachability.ready();
    }
}
