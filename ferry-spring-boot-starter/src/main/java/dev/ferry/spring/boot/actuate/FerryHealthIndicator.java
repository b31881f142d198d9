package dev.ferry.spring.boot.actuate;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

import dev.ferry.core.relay.RelayStatus;
import dev.ferry.engine.ProcessorStatus;
import dev.ferry.spring.boot.FerryProjections;
import dev.ferry.spring.boot.FerryRelay;
import dev.ferry.spring.boot.internals.BackendReachability;

/**
 * Ferry's health ({@code ferry}): DOWN while MongoDB or the transport does not answer, while a projection's fetched
 * records wait with none finished for longer than {@code ferry.stall-timeout}, while the relay is stalled or
 * rehearsing a takeover, or before the relay's first checkpoint ({@link FerryRelay#hasCheckpoint()}); UP otherwise. A
 * standby relay and a rebalance are not DOWN, so that rolling updates do not stall on them. Add it to the readiness group ({@code management.endpoint.health.group.readiness.include=
 * readinessState,ferry}): a restart would not help, so it belongs in readiness, not liveness.
 */
public final class FerryHealthIndicator implements HealthIndicator {

    private final BackendReachability reachability;
    private final FerryProjections projections;
    private final Optional<FerryRelay> relay;

    public FerryHealthIndicator(BackendReachability reachability, FerryProjections projections,
                                Optional<FerryRelay> relay) {
        this.reachability = reachability;
        this.projections = projections;
        this.relay = relay;
    }

    @Override
    public Health health() {
        Instant now = Instant.now();
        Map<String, Object> details = new LinkedHashMap<>();
        Optional<String> problem = reachability.mongoProblem().or(reachability::transportProblem);
        Map<String, Object> projectionDetails = new LinkedHashMap<>();
        for (String name : projections.names()) {
            Optional<ProcessorStatus> status = projections.status(name);
            projectionDetails.put(name, status.<Object>map(FerryHealthIndicator::details).orElse("not running"));
            if (problem.isEmpty() && status.filter(s -> s.stalled(now, projections.stallTimeout())).isPresent()) {
                ProcessorStatus stalled = status.get();
                problem = Optional.of("projection " + name + ": " + (stalled.failure() != null
                    ? stalled.failure() + (stalled.ended() ? " (its work ended: restart the application)"
                        : ", failing since " + stalled.failingSince())
                    : "fetched records have waited, none finished, since " + stalled.waitingSince()));
            }
        }
        details.put("projections", projectionDetails);
        if (relay.isPresent()) {
            details.put("relay", relay.get().status().<Object>map(FerryHealthIndicator::details).orElse("not running"));
            if (problem.isEmpty() && relay.get().stalledAt(now)) {
                problem = Optional.of("relay: changes wait unacknowledged, or a standby rehearses its takeover");
            }
            if (problem.isEmpty()) {
                problem = checkpointProblem(relay.get());
            }
            details.put("relayCheckpointed", relay.get().hasCheckpoint());
        }
        problem.ifPresent(line -> details.put("problem", line));
        return (problem.isPresent() ? Health.down() : Health.up()).withDetails(details).build();
    }

    /**
     * Not ready before the relay's first checkpoint: until then where it starts is not fixed, and what the application
     * appends may come before it and never be published (a new deployment's first seconds; later ones have one).
     */
    private static Optional<String> checkpointProblem(FerryRelay relay) {
        return relay.hasCheckpoint() ? Optional.empty() : Optional.of("relay: no checkpoint yet (or not yet seen), so "
            + "where it starts may not be fixed and an event appended now might never be published (a new relay's "
            + "first leader writes one right after it opens the stream)");
    }

    private static Map<String, Object> details(ProcessorStatus status) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("applied", status.applied());
        details.put("duplicates", status.duplicates());
        details.put("parked", status.parked());
        details.put("lag", status.lag());
        details.put("assignedPartitions", status.assigned().size());
        details.put("pausedPartitions", status.paused().size());
        if (status.failure() != null) {
            details.put("failure", status.failure());
            details.put("failingSince", String.valueOf(status.failingSince()));
        }
        return details;
    }

    private static Map<String, Object> details(RelayStatus status) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("role", status.role().name().toLowerCase(java.util.Locale.ROOT));
        details.put("epoch", status.epoch());
        details.put("published", status.published());
        details.put("deadLettered", status.deadLettered());
        details.put("restarts", status.restartCount());
        return details;
    }
}
