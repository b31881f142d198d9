package dev.ferry.core.lease;

import java.util.Objects;
import java.util.Optional;

/**
 * A standby's judgement of whether the lease has expired, from what it has seen and its own monotonic clock
 * only: the lease is expired once its (owner, epoch, renewals) has not changed for the TTL. Clocks of other
 * hosts never enter into it.
 */
public final class LeaseObserver {

    private final long ttlNanos;
    private Optional<Lease> seen = Optional.empty();
    private long unchangedSinceNanos;
    private boolean observed;

    public LeaseObserver(long ttlNanos) {
        this.ttlNanos = ttlNanos;
    }

    /** Records a reading of the lease taken at {@code nowNanos}. */
    public void observe(Optional<Lease> lease, long nowNanos) {
        if (!observed || !Objects.equals(lease, seen)) {
            seen = lease;
            unchangedSinceNanos = nowNanos;
            observed = true;
        }
    }

    /** True if the lease may be taken: absent, released, or unchanged for the TTL. */
    public boolean mayTake(long nowNanos) {
        if (!observed) {
            return false;
        }
        return seen.isEmpty() || seen.get().owner() == null || nowNanos - unchangedSinceNanos >= ttlNanos;
    }

    public Optional<Lease> seen() {
        return seen;
    }
}
