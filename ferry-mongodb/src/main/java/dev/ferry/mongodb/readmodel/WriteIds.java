package dev.ferry.mongodb.readmodel;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ids unique to each write attempt, for {@code _lastWrite}: a random UUID per writer and a counter. A random UUID per
 * write drew on {@code SecureRandom} (a lock and a hash) for every run written; only uniqueness is needed.
 */
final class WriteIds {

    private final String prefix = UUID.randomUUID() + "-";
    private final AtomicLong counter = new AtomicLong();

    String next() {
        return prefix + counter.incrementAndGet();
    }
}
