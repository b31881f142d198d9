package dev.ferry.core.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.partition.PartitionKey;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.core.wire.RecordEncoder;
import dev.ferry.core.wire.RecordEncoding;

/**
 * A standby's rehearsal of what it would do first as leader: it reads the changes after the relay's checkpoint (the
 * first batch a takeover reads) and encodes their records as a publisher does (key, headers, value), then closes the
 * feed. It touches no transport: the publisher of its first term (Kafka's producer made ahead, a NATS connection) is
 * not taken, and nothing can be sent. A freshly started relay's first term was slow for a reason of its own: a cold JVM spent ~0.7 s of a
 * 1.8 s failover opening its first stream and reading and rendering its first batch. Rehearsed, a takeover costs
 * little more than the lease's expiry.
 * <p>
 * Bounded: at most {@link Limits#changes()} changes and {@link Limits#time()}, and it stops as soon as the feed has
 * twice answered nothing or the instance leads (or stops). It never fails the relay: whatever goes wrong ends the
 * rehearsal.
 */
final class StandbyWarmUp implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(StandbyWarmUp.class);
    private static final BiConsumer<String, String> NO_HEADERS = (name, value) -> { };

    /** How much a rehearsal reads at most. */
    record Limits(int changes, Duration time) {
        /** Enough calls for the JIT to compile the read and render path; a few seconds of a standby's CPU at most. */
        static final Limits DEFAULT = new Limits(10_000, Duration.ofSeconds(10));
    }

    private final String relay;
    private final ChangeSource source;
    private final CheckpointStore checkpoints;
    private final RecordEncoder encoder = RecordEncoding.encoder();
    private final BooleanSupplier standingBy;
    private final Limits limits;
    private volatile RelayStatus.WarmUp progress = RelayStatus.WarmUp.NOT_STARTED;
    /** Since when readiness waits for it: the instance's start, then the rehearsal's; null while nothing is expected. */
    private volatile Instant startedAt;
    /** Set once the instance has led: there is nothing to rehearse. */
    private volatile boolean skipped;

    /**
     * @param standingBy whether the instance still stands by: false once it leads or stops, which ends the rehearsal
     */
    StandbyWarmUp(String relay, ChangeSource source, CheckpointStore checkpoints, BooleanSupplier standingBy,
                  Limits limits) {
        this.relay = relay;
        this.source = source;
        this.checkpoints = checkpoints;
        this.standingBy = standingBy;
        this.limits = limits;
    }

    RelayStatus.WarmUp progress() {
        return progress;
    }

    /**
     * Whether the rehearsal holds readiness back at {@code now}: expected (the instance has not yet looked at the
     * lease) or under way, and not longer than its time limit and a grace for the last read (a feed that hangs on an
     * unreachable source must not keep the instance unready).
     */
    boolean holdsReadiness(Instant now) {
        Instant started = startedAt;
        return !skipped && progress.state() != RelayStatus.WarmUp.State.DONE && started != null
            && now.isBefore(started.plus(limits.time()).plusSeconds(5));
    }

    /** The instance starts and may turn out a standby: readiness waits until it leads or has rehearsed. */
    void expect() {
        startedAt = Instant.now();
    }

    /** The instance has led: its code is warm, there is nothing to rehearse. */
    void skip() {
        skipped = true;
    }

    /** Marks it under way, on the thread that starts it: readiness then never sees a moment between the two. */
    void begin() {
        startedAt = Instant.now();
        progress = new RelayStatus.WarmUp(RelayStatus.WarmUp.State.UNDER_WAY, 0, 0);
    }

    @Override
    public void run() {
        if (progress.state() != RelayStatus.WarmUp.State.UNDER_WAY) {
            begin();
        }
        Instant startedAt = this.startedAt;
        long changes = 0;
        long records = 0;
        try {
            Optional<CheckpointStore.Checkpoint> checkpoint = standingBy.getAsBoolean()
                ? checkpoints.load(relay) : Optional.empty();
            if (checkpoint.isEmpty()) {
                return; // leading already, or nothing relayed yet: a first term copies or starts where configured
            }
            long deadline = System.nanoTime() + limits.time().toNanos();
            try (ChangeSource.ChangeFeed feed = source.open(new StartPosition.AfterToken(checkpoint.get().token()))) {
                int emptyInARow = 0;
                while (changes < limits.changes() && System.nanoTime() - deadline < 0 && standingBy.getAsBoolean()) {
                    List<Change> batch = feed.poll();
                    // Read to the end: what a takeover would read first is rehearsed. Twice, because a stream's first
                    // answer may be empty although changes follow (a server's initial batch).
                    if (batch.isEmpty() && ++emptyInARow == 2) {
                        break;
                    }
                    if (!batch.isEmpty()) {
                        emptyInARow = 0;
                    }
                    for (Change change : batch) {
                        records += encode(change);
                    }
                    changes += batch.size();
                    progress = new RelayStatus.WarmUp(RelayStatus.WarmUp.State.UNDER_WAY, changes, records);
                }
            }
            log.info("relay {}: standby rehearsed its takeover: read {} changes after the checkpoint and encoded {} "
                + "records in {} ms, sending nothing", relay, changes, records,
                Duration.between(startedAt, Instant.now()).toMillis());
        } catch (RuntimeException e) {
            // A rehearsal only makes a takeover faster; the term itself meets and reports what failed here.
            log.info("relay {}: the standby's rehearsal of a takeover ended early: {}", relay, e.toString());
        } finally {
            progress = new RelayStatus.WarmUp(RelayStatus.WarmUp.State.DONE, changes, records);
        }
    }

    private int encode(Change change) {
        int encoded = 0;
        for (FerryRecord record : change.records()) {
            try {
                PartitionKey.of(record);
                encoder.encode(record, NO_HEADERS);
                encoded++;
            } catch (RuntimeException e) {
                // not encodable: the term dead-letters it; the rehearsal has rendered what it could
            }
        }
        return encoded;
    }
}
