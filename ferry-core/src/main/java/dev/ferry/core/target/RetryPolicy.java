package dev.ferry.core.target;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Retries of a failing event: exponential backoff with full jitter, up to {@code maxAttempts} attempts in all,
 * after which the event is parked.
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(100), Duration.ofSeconds(5));

    public RetryPolicy {
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("retry backoff needs 0 <= initial <= max");
        }
    }

    /** The wait before attempt {@code attempt + 1}, after {@code attempt} failed attempts (1-based). */
    public Duration backoffAfter(int attempt) {
        long cap = Math.min(maxBackoff.toNanos(), initialBackoff.toNanos() << Math.min(attempt - 1, 30));
        return Duration.ofNanos(cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
    }
}
