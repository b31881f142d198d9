package dev.ferry.engine;

import dev.ferry.core.event.EntityChange;

/**
 * Tells a dependency (a REST endpoint) of each entity change before the replica is written, through the engine's
 * circuit breaker {@value #DEPENDENCY}: while it is down the partition pauses instead of spending retries.
 */
@FunctionalInterface
public interface ChangeNotifier {

    /** The breaker's name. */
    String DEPENDENCY = "notify";

    /** @param idempotencyKey the same for a change delivered again: the dependency de-duplicates by it */
    void notify(EntityChange change, String idempotencyKey) throws Exception;
}
