package dev.ferry.core.relay;

import java.time.Duration;
import java.util.Objects;

import dev.ferry.core.lease.LeaseTiming;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * How a relay runs.
 *
 * @param name               the relay's name: its lease and checkpoint are keyed by it
 * @param initialPosition    where to start when there is no checkpoint yet
 * @param historyLostPolicy  what to do when the checkpoint has left the oplog window
 * @param maxInFlight        most events sent but not yet acknowledged; reading stops at this bound (backpressure)
 * @param checkpointInterval least time between two checkpoint writes after records were published
 * @param idleCheckpointInterval least time between two checkpoint writes that only move the position over changes
 *                           nothing was published for (the relay's own lease and checkpoint writes, other
 *                           collections): with nothing to publish, the relay writes this seldom
 * @param retryBackoff       wait before a leader restarts its pipeline after a failure (e.g. broker unreachable)
 * @param leaseTiming        lease TTL, renewal and check intervals
 */
public record RelaySettings(String name, StartPosition initialPosition, HistoryLostPolicy historyLostPolicy,
                            int maxInFlight, Duration checkpointInterval, Duration idleCheckpointInterval,
                            Duration retryBackoff, LeaseTiming leaseTiming) {

    /** Checkpoints of a relay with nothing to publish: at most this often. */
    public static final Duration DEFAULT_IDLE_CHECKPOINT_INTERVAL = Duration.ofSeconds(5);

    public RelaySettings {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(initialPosition, "initialPosition");
        Objects.requireNonNull(historyLostPolicy, "historyLostPolicy");
        Objects.requireNonNull(checkpointInterval, "checkpointInterval");
        Objects.requireNonNull(idleCheckpointInterval, "idleCheckpointInterval");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
        Objects.requireNonNull(leaseTiming, "leaseTiming");
        if (name.isBlank()) {
            throw new IllegalArgumentException("relay name must not be blank");
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("maxInFlight must be at least 1, was " + maxInFlight);
        }
    }

    /**
     * Defaults: start from now, fail on lost history, 20,000 events in flight, checkpoint every 100 ms after records
     * were published, every 5 s while nothing is.
     */
    public static RelaySettings defaults(String name) {
        return new RelaySettings(name, new StartPosition.Now(), HistoryLostPolicy.FAIL, 20_000,
            Duration.ofMillis(100), DEFAULT_IDLE_CHECKPOINT_INTERVAL, Duration.ofSeconds(1), LeaseTiming.DEFAULT);
    }

    public RelaySettings withIdleCheckpointInterval(Duration interval) {
        return new RelaySettings(name, initialPosition, historyLostPolicy, maxInFlight, checkpointInterval, interval,
            retryBackoff, leaseTiming);
    }

    public RelaySettings withInitialPosition(StartPosition position) {
        return new RelaySettings(name, position, historyLostPolicy, maxInFlight, checkpointInterval,
            idleCheckpointInterval, retryBackoff, leaseTiming);
    }

    public RelaySettings withHistoryLostPolicy(HistoryLostPolicy policy) {
        return new RelaySettings(name, initialPosition, policy, maxInFlight, checkpointInterval,
            idleCheckpointInterval, retryBackoff, leaseTiming);
    }

    public RelaySettings withMaxInFlight(int events) {
        return new RelaySettings(name, initialPosition, historyLostPolicy, events, checkpointInterval,
            idleCheckpointInterval, retryBackoff, leaseTiming);
    }

    public RelaySettings withLeaseTiming(LeaseTiming timing) {
        return new RelaySettings(name, initialPosition, historyLostPolicy, maxInFlight, checkpointInterval,
            idleCheckpointInterval, retryBackoff, timing);
    }
}
