package dev.ferry.core.lease;

import java.time.Duration;
import java.util.Objects;

/**
 * Timing of a lease.
 *
 * @param ttl           a standby takes over when the renewal counter has not moved for this long (its own clock)
 * @param renewInterval how often the holder renews
 * @param checkInterval how often a standby looks at the lease
 * @param margin        the holder stops acting this long before {@code ttl} has passed since its last renewal,
 *                      covering clock-rate drift and the time a renewal takes to reach MongoDB
 */
public record LeaseTiming(Duration ttl, Duration renewInterval, Duration checkInterval, Duration margin) {

    /** Fails over in about 1.2 s after the holder dies: TTL 1 s plus a check interval and the relay's restart. */
    public static final LeaseTiming DEFAULT = new LeaseTiming(Duration.ofMillis(1000), Duration.ofMillis(200),
        Duration.ofMillis(100), Duration.ofMillis(250));

    /**
     * The default's proportions for another TTL: a longer one tolerates slower renewals (a distant or overloaded
     * server) at the price of a failover that takes as much longer.
     */
    public static LeaseTiming withTtl(Duration ttl) {
        return new LeaseTiming(ttl, ttl.dividedBy(5), ttl.dividedBy(10), ttl.dividedBy(4));
    }

    public LeaseTiming {
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(renewInterval, "renewInterval");
        Objects.requireNonNull(checkInterval, "checkInterval");
        Objects.requireNonNull(margin, "margin");
        if (margin.compareTo(ttl) >= 0 || renewInterval.compareTo(ttl.minus(margin)) >= 0) {
            throw new IllegalArgumentException("lease timing needs renewInterval < ttl - margin and margin < ttl, was ttl="
                + ttl.toMillis() + "ms renewInterval=" + renewInterval.toMillis() + "ms margin=" + margin.toMillis() + "ms");
        }
        if (checkInterval.isZero() || checkInterval.isNegative()) {
            throw new IllegalArgumentException("lease checkInterval must be positive, was " + checkInterval);
        }
    }
}
