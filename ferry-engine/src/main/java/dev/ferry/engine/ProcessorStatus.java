package dev.ferry.engine;

import java.time.Duration;
import java.time.Instant;
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
 * @param waitingSince since when a partition's fetched records have waited with none of them finished (applied,
 *                   skipped as a duplicate or parked): the oldest such partition's; null while no records wait. A
 *                   stall is this far in the past (a target or dependency down, a lane stuck)
 */
public record ProcessorStatus(Set<String> assigned, Set<String> paused, long applied, long duplicates, long parked,
                              Map<String, String> breakers, long lag, Instant waitingSince) {

    /** Whether records have waited without progress for longer than {@code limit} as of {@code now}. */
    public boolean stalled(Instant now, Duration limit) {
        return waitingSince != null && waitingSince.plus(limit).isBefore(now);
    }
}
