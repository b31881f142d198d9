package dev.ferry.core.relay;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a relay instance is doing.
 *
 * @param role               leader, standby, failed or stopped
 * @param epoch              the lease epoch it leads in, or -1
 * @param published          events this instance has had acknowledged by the broker
 * @param deadLettered       documents and changes this instance sent to the dead-letter topic, counted once the
 *                           broker acknowledged them (a killed leader's last ones may be on the topic uncounted)
 * @param oversized          of those, the changes too large for one broker record
 * @param checkpointSequence events covered by this instance's last checkpoint, or -1
 * @param failure            why it failed for good (it relays nothing more), or null
 * @param terms              how often this instance took over leadership (failovers to it, and its first election)
 * @param restarts           how often the leader restarted its pipeline from the checkpoint, by what failed; a
 *                           lease lost is not a restart (it is a new term, of this instance or another)
 * @param lastFailure        the last failure that restarted the pipeline, or null
 * @param waitingSince       since when changes wait that the relay has not got acknowledged (read, or failed to send,
 *                           and the acknowledged position has not moved since); null while nothing waits. A stall is
 *                           this far in the past
 * @param warmUp             a standby's rehearsal of its takeover, sending nothing (see {@link WarmUp})
 */
public record RelayStatus(Role role, long epoch, long published, long deadLettered, long oversized,
                          long checkpointSequence, String failure, long terms, Map<Fault, Long> restarts,
                          Failure lastFailure, Instant waitingSince, WarmUp warmUp) {

    public RelayStatus {
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(warmUp, "warmUp");
        EnumMap<Fault, Long> all = new EnumMap<>(Fault.class);
        for (Fault fault : Fault.values()) {
            all.put(fault, restarts.getOrDefault(fault, 0L));
        }
        restarts = Map.copyOf(all);
    }

    /** Pipeline restarts of every cause. */
    public long restartCount() {
        return restarts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Whether changes have waited, unacknowledged, for longer than {@code limit} as of {@code now}. */
    public boolean stalled(Instant now, java.time.Duration limit) {
        return waitingSince != null && waitingSince.plus(limit).isBefore(now);
    }

    public enum Role { LEADER, STANDBY, FAILED, STOPPED }

    /**
     * A standby's rehearsal of its takeover: once it has seen another instance lead, it reads the changes after the
     * checkpoint and prepares their records without sending them, so that its first term runs on warm code.
     *
     * @param state   not started (an instance that led from the start never rehearses), under way, or done
     * @param changes changes read
     * @param records records prepared
     */
    public record WarmUp(State state, long changes, long records) {
        public static final WarmUp NOT_STARTED = new WarmUp(State.NOT_STARTED, 0, 0);

        public WarmUp {
            Objects.requireNonNull(state, "state");
        }

        public enum State { NOT_STARTED, UNDER_WAY, DONE }
    }

    /** What made the leader restart its pipeline: never a document (those are dead-lettered). */
    public enum Fault {
        /** the broker did not acknowledge, or could not be reached */
        BROKER,
        /** the broker refused a record for its content (a limit lower than the one checked before sending) */
        RECORD_REFUSED,
        /** the change stream (MongoDB) failed or could not be reached */
        SOURCE,
        /** the checkpoint could not be read or written (MongoDB) */
        CHECKPOINTS,
        /** anything else: a bug, reported with its cause */
        UNEXPECTED
    }

    /** A failure that restarted the pipeline. */
    public record Failure(Instant at, Fault fault, String cause) {
        public Failure {
            Objects.requireNonNull(at, "at");
            Objects.requireNonNull(fault, "fault");
            Objects.requireNonNull(cause, "cause");
        }
    }
}
