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
 * @param failure    why its polling thread does not get through now (the error it retries with a backoff), or why its
 *                   work ended ({@code stopped: …}); null while it works
 * @param failingSince since when it has failed without getting through once; null while it works
 * @param ended      its work ended for good (the subscription did not open, a JVM error): restart the process
 */
public record ProcessorStatus(Set<String> assigned, Set<String> paused, long applied, long duplicates, long parked,
                              Map<String, String> breakers, long lag, Instant waitingSince, String failure,
                              Instant failingSince, boolean ended) {

    /**
     * Whether its work does not progress and has not for longer than {@code limit} as of {@code now}: records waited
     * that long with none finished, or its polling thread has failed that long; or its work ended.
     */
    public boolean stalled(Instant now, Duration limit) {
        return ended || waitingSince != null && waitingSince.plus(limit).isBefore(now)
            || failingSince != null && failingSince.plus(limit).isBefore(now);
    }
}
