package dev.ferry.engine;

import java.util.Map;
import java.util.Set;

/**
 * What a projector instance is doing.
 *
 * @param assigned   partitions it owns
 * @param paused     partitions it paused because a dependency's breaker is open
 * @param applied    events applied to the read model
 * @param duplicates events skipped because the read model already had them
 * @param parked     events parked (failed, behind a failed one, gaps, undecodable)
 * @param breakers   breaker state per dependency
 * @param lag        records in its partitions not yet fetched (the consumer's view at its last poll)
 */
public record ProjectorStatus(Set<String> assigned, Set<String> paused, long applied, long duplicates, long parked,
                              Map<String, String> breakers, long lag) {
}
