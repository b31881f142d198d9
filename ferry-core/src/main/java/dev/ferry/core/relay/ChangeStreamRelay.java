package dev.ferry.core.relay;

import static dev.ferry.core.relay.PipelineFailure.at;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.lease.Leadership;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.GapLog;
import dev.ferry.core.relay.spi.HistoryLost;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * One relay instance. Of all instances sharing a name, the one holding the lease tails the event store's change
 * feed from the last checkpoint and publishes every event; the others stand by and take over when the lease
 * expires. A checkpoint is written only after the broker acknowledged everything before it, and only under the
 * writer's epoch, so after a failover events are re-published only if they were published but not checkpointed.
 * The leader reads its feed one batch ahead ({@link ReadAheadFeed}); only its worker thread publishes.
 * <p>
 * This class is the relay's lifecycle: leadership, terms, restarts after failures, the history-lost policy. A term's
 * work is done by package-private parts, each with one job, as Debezium keeps snapshot, streaming and offsets apart:
 * {@code Copying} (copies of existing documents, before and alongside the stream), {@code Streaming} (the change
 * feed), {@code ChangeSender} (a change's records or its dead letter) and {@code Acknowledgements} (what is in
 * flight, in order, and the checkpoint of the acknowledged prefix).
 */
public final class ChangeStreamRelay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChangeStreamRelay.class);
    private static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** The longest wait between two restarts of a failing pipeline (the wait doubles from the settings' backoff). */
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final RelaySettings settings;
    private final String instanceId;
    private final ChangeSource source;
    private final Supplier<RecordPublisher> publishers;
    private final CheckpointStore checkpoints;
    private final GapLog gaps;
    private final SourceCopy copy;
    private final Leadership leadership;
    private final Thread worker;
    private final StandbyWarmUp warmUp;
    /** Set by the worker once it has started the rehearsal, or led (then there is nothing to rehearse). */
    private boolean warmUpStarted;

    private final AtomicLong terms = new AtomicLong();
    private final PipelineRestarts restarts;
    private final RelayProgress progress;
    private final BrokerRefusals refusals = new BrokerRefusals();
    private volatile long leadingEpoch = -1;
    private volatile RelayStatus.Role role = RelayStatus.Role.STANDBY;
    private volatile String failure;
    private volatile boolean running = true;
    private volatile boolean killed;
    private volatile RecordPublisher currentPublisher;
    /** Set by the RESTART_FROM_NOW policy until the first checkpoint after the gap is written. */
    private volatile boolean restartFromNow;
    /** Set by the RECOPY policy until the fresh copy's start is checkpointed. */
    private volatile boolean recopy;
    /** Set when the stream could not open at the position noted before a copy: the copy outlasted the oplog. */
    private volatile boolean copyOutlastedHistory;

    public ChangeStreamRelay(RelaySettings settings, String instanceId, ChangeSource source,
                             Supplier<RecordPublisher> publishers, CheckpointStore checkpoints, LeaseStore leases,
                             GapLog gaps) {
        this(settings, instanceId, source, SourceCopy.NONE, publishers, checkpoints, leases, gaps);
    }

    /**
     * @param copy the sources whose existing documents can be copied: those {@linkplain SourceCopy#copiedFirst() copied
     *             first} are copied the first time the relay leads (no checkpoint yet), every source with
     *             {@link StartPosition.Earliest} or when the RECOPY policy applies. The stream's position is noted
     *             first, the copy's progress is checkpointed, a successor continues it, and streaming starts at the
     *             noted position
     */
    public ChangeStreamRelay(RelaySettings settings, String instanceId, ChangeSource source, SourceCopy copy,
                             Supplier<RecordPublisher> publishers, CheckpointStore checkpoints, LeaseStore leases,
                             GapLog gaps) {
        this.copy = Objects.requireNonNull(copy, "copy");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
        this.source = Objects.requireNonNull(source, "source");
        this.publishers = Objects.requireNonNull(publishers, "publishers");
        this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints");
        this.gaps = Objects.requireNonNull(gaps, "gaps");
        this.leadership = new Leadership(leases, settings.name(), instanceId, settings.leaseTiming());
        this.restarts = new PipelineRestarts(settings.retryBackoff(), MAX_BACKOFF);
        this.progress = new RelayProgress(restarts);
        this.worker = new Thread(this::work, "relay-" + settings.name() + "-" + instanceId);
        this.warmUp = new StandbyWarmUp(settings.name(), source, checkpoints, () -> running && leadership.standingBy(),
            StandbyWarmUp.Limits.DEFAULT);
        if (copy.sources().isEmpty() && (settings.initialPosition() instanceof StartPosition.Earliest
            || settings.historyLostPolicy() == HistoryLostPolicy.RECOPY)) {
            throw new IllegalArgumentException("relay " + settings.name() + ": starting at the earliest position and "
                + "the RECOPY policy copy every source, but no source can be copied");
        }
    }

    /**
     * Starts electing and relaying, after checking that every source this relay may copy unasked can be copied.
     *
     * @throws SourceCopy.NotReady if one cannot (e.g. the index its copy reads through is missing)
     */
    public void start() {
        copy.prepare(copiesUnasked());
        warmUp.expect();
        leadership.start();
        worker.start();
    }

    public RelayStatus status() {
        return new RelayStatus(role, leadingEpoch, progress.published(), progress.deadLettered(), progress.oversized(),
            progress.checkpointSequence(), failure, terms.get(), restarts.byFault(), restarts.last(),
            role == RelayStatus.Role.LEADER ? progress.waitingSince() : null, warmUp.progress());
    }

    /**
     * Whether this standby is still rehearsing its takeover ({@link RelayStatus.WarmUp}), bounded in time: its
     * readiness waits for it, so a rolling update replaces a leader only once a warm standby can take over.
     */
    public boolean warmingUp(Instant now) {
        return running && warmUp.holdsReadiness(now);
    }

    public String instanceId() {
        return instanceId;
    }

    /**
     * How close this leader is to losing history: milliseconds from the source's time of the last acknowledged change
     * to now, and from the oldest change the source retains to the last checkpoint (MongoDB: the oplog headroom). NaN
     * where unknown: a standby, or a source that cannot tell. The second asks the source, so it costs a round trip.
     */
    public double millisBehindSource() {
        ResumeToken position = progress.lastAcknowledged();
        return position == null ? Double.NaN
            : source.timeOf(position).map(time -> (double) Duration.between(time, Instant.now()).toMillis())
                .orElse(Double.NaN);
    }

    /** See {@link #millisBehindSource()}. */
    public double oplogHeadroomMillis() {
        ResumeToken position = progress.lastCheckpointed();
        if (position == null) {
            return Double.NaN;
        }
        Optional<Instant> checkpointed = source.timeOf(position);
        Optional<ChangeSource.RetainedHistory> retained = checkpointed.isEmpty() ? Optional.empty() : source.retained();
        return retained.map(window -> (double) Duration.between(window.oldest(), checkpointed.get()).toMillis())
            .orElse(Double.NaN);
    }

    /** The sources this relay copies without an operator asking: at its first start, or after lost history. */
    private List<String> copiesUnasked() {
        return settings.initialPosition() instanceof StartPosition.Earliest
            || settings.historyLostPolicy() == HistoryLostPolicy.RECOPY ? copy.sources() : copy.copiedFirst();
    }

    /** Stops gracefully: flushes what is in flight, writes a last checkpoint, releases the lease. */
    @Override
    public void close() {
        running = false;
        joinWorker();
        leadership.close();
        if (role != RelayStatus.Role.FAILED) {
            role = RelayStatus.Role.STOPPED;
        }
    }

    /**
     * Stops as a crash would: no lease release, no checkpoint, the producer closed without flushing. A standby
     * takes over once the lease expires.
     */
    public void kill() {
        killed = true;
        running = false;
        leadership.kill();
        RecordPublisher publisher = currentPublisher;
        if (publisher != null) {
            publisher.abort();
        }
        worker.interrupt();
        joinWorker();
        role = RelayStatus.Role.STOPPED;
    }

    private void joinWorker() {
        try {
            worker.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void work() {
        while (running) {
            OptionalLong epoch = leadership.currentEpoch();
            if (epoch.isEmpty()) {
                role = RelayStatus.Role.STANDBY;
                leadingEpoch = -1;
                progress.standsBy();
                if (!warmUpStarted && leadership.standingBy()) {
                    warmUp.begin();
                    warmUpStarted = true; // once per process: the JIT's work is not lost with a term
                    Thread rehearsal = new Thread(warmUp, worker.getName() + "-warm-up");
                    rehearsal.setDaemon(true);
                    rehearsal.start();
                }
                LockSupport.parkNanos(settings.leaseTiming().checkInterval().toNanos());
                continue;
            }
            try {
                lead(epoch.getAsLong());
            } catch (HistoryLost e) {
                if (!onHistoryLost(e)) {
                    return;
                }
            } catch (CheckpointStore.Fenced e) {
                log.warn("relay {}: {}", settings.name(), e.getMessage());
                if (running && leadership.isValid(epoch.getAsLong())) {
                    // Fenced by the broker while the lease is still ours (Kafka's exactly-once mode: a transaction the
                    // broker timed out, or another deployment sharing the transactional id): not a new term at once.
                    restartAfter(RelayStatus.Fault.BROKER, e);
                }
            } catch (RuntimeException e) {
                if (killed) {
                    return;
                }
                if (e instanceof TermEnded || !leadership.isValid(epoch.getAsLong())) {
                    continue; // deposed or stopping: a new term (here or elsewhere), not a failure of the pipeline
                }
                restartAfter(e instanceof PipelineFailure failed ? failed.fault() : RelayStatus.Fault.UNEXPECTED,
                    e instanceof PipelineFailure ? e.getCause() : e);
            }
        }
    }

    /**
     * Records a failure of the environment (or a bug) and waits before the pipeline restarts from its checkpoint, with
     * capped exponential backoff ({@link PipelineRestarts}). Documents never come here: they are dead-lettered.
     */
    private void restartAfter(RelayStatus.Fault fault, Throwable cause) {
        Instant now = Instant.now();
        long backoff = restarts.record(fault, cause, now);
        progress.waiting(now); // a failing pipeline makes no progress, whether or not it had read anything
        log.warn("relay {}: instance {} restarts its pipeline from the last checkpoint in {} ms ({} failure, {} in a "
            + "row): {}", settings.name(), instanceId, TimeUnit.NANOSECONDS.toMillis(backoff), fault, restarts.inARow(),
            cause);
        long deadline = System.nanoTime() + backoff;
        while (running && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(Math.min(WAIT_SLICE_NANOS, deadline - System.nanoTime()));
        }
    }

    /** Leads in {@code epoch} until deposed or stopped. */
    private void lead(long epoch) {
        Term term = new Term(settings, instanceId, epoch, new TakeoverTimeline(settings.name(), epoch), progress,
            refusals, () -> running, leadingUntilFirstLapse(epoch));
        // The publisher before the checkpoint: a transport that keeps the relay's position with the records it commits
        // (Kafka's exactly-once mode) fences the earlier leaders' output as the publisher is made, and only then is the
        // position it holds final.
        RecordPublisher publisher = at(RelayStatus.Fault.BROKER, publishers::get);
        currentPublisher = publisher; // a kill from here on aborts it
        CheckpointStore termCheckpoints;
        Optional<Checkpoint> checkpoint;
        StartPosition start;
        Acknowledgements acks;
        try {
            termCheckpoints = publisher.checkpoints(settings.name(), checkpoints);
            checkpoint = at(RelayStatus.Fault.CHECKPOINTS, () -> termCheckpoints.load(settings.name()));
            term.timeline().publisherReady(); // the checkpoint read and the publisher ready
            List<String> toCopy = recopy ? copy.sources()
                : checkpoint.isPresent() || restartFromNow ? List.of()
                : settings.initialPosition() instanceof StartPosition.Earliest ? copy.sources() : copy.copiedFirst();
            if (!toCopy.isEmpty()) {
                checkpoint = Optional.of(Copying.begin(term, source, termCheckpoints, toCopy,
                    checkpoint.map(Checkpoint::sequence).orElse(0L)));
                recopy = false;
            }
            start = restartFromNow ? new StartPosition.Now()
                : checkpoint.<StartPosition>map(c -> new StartPosition.AfterToken(c.token()))
                    .orElse(settings.initialPosition());
            acks = new Acknowledgements(term, termCheckpoints, checkpoint.map(Checkpoint::sequence).orElse(0L),
                restartFromNow ? null : checkpoint.map(Checkpoint::token).orElse(null),
                checkpoint.map(Checkpoint::copies).orElse(Map.of()));
        } catch (RuntimeException e) {
            currentPublisher = null;
            publisher.abort();
            throw e;
        }
        try {
            leadTerm(term, publisher, termCheckpoints, acks, start, checkpoint);
        } finally {
            if (acks.checkpointed()) {
                restartFromNow = false; // the first checkpoint after the gap is written
            }
        }
    }

    /**
     * Whether the term of {@code epoch} still leads: false from the first time its lease is seen lapsed, even if a
     * renewal under way then succeeds. A part that stopped halfway on seeing it lapse (a copy batch, a chunk) would
     * otherwise carry on in the same term and send again what it had begun; the term ends, and the next starts from
     * the checkpoint.
     */
    private BooleanSupplier leadingUntilFirstLapse(long epoch) {
        AtomicBoolean lapsed = new AtomicBoolean();
        return () -> {
            if (lapsed.get()) {
                return false;
            }
            if (!leadership.isValid(epoch)) {
                lapsed.set(true);
                return false;
            }
            return true;
        };
    }

    /** A term's work: the copies before streaming, the stream, then a graceful finish or the acknowledged prefix. */
    private void leadTerm(Term term, RecordPublisher publisher, CheckpointStore termCheckpoints, Acknowledgements acks,
                          StartPosition start, Optional<Checkpoint> checkpoint) {
        long epoch = term.epoch();
        role = RelayStatus.Role.LEADER;
        if (!warmUpStarted) {
            warmUpStarted = true;
            warmUp.skip(); // its code is warm once it has led
        }
        if (leadingEpoch != epoch) {
            terms.incrementAndGet();
        }
        leadingEpoch = epoch;
        log.info("relay {}: instance {} leads at epoch {}, starting {}", settings.name(), instanceId, epoch,
            checkpoint.map(c -> "after checkpoint of sequence " + c.sequence()).orElse("at " + start));
        ChangeSender sender = new ChangeSender(term, publisher, acks);
        WatermarkCopies watermarks = new WatermarkCopies(term, copy, acks, sender);
        Copying copying = new Copying(term, copy, source, termCheckpoints, acks, sender, watermarks);
        boolean graceful = false;
        try {
            // Stream only once every copy before streaming is complete: a stream started early would publish newer
            // versions before a later term copied older ones. Copies by watermarks run while it streams.
            if (copying.copyBeforeStreaming() && copying.settle() && running && leadership.isValid(epoch)) {
                new Streaming(term, source, acks, sender, copying, watermarks, worker.getName() + "-reader")
                    .stream(start);
            }
            graceful = !killed && leadership.isValid(epoch);
        } finally {
            currentPublisher = null;
            if (copying.outlastedHistory()) {
                copyOutlastedHistory = true;
            }
            if (graceful) {
                if (termCheckpoints.commitsTheRecordsSent()) {
                    // The last checkpoint is the last commit, so it comes before the publisher closes.
                    try {
                        acks.finish();
                    } finally {
                        publisher.close();
                    }
                } else {
                    publisher.close(); // flushes, within its own bound, what is in flight
                    acks.finish();
                }
            } else {
                if (!killed) {
                    acks.checkpointAcknowledged(); // a restart re-publishes only what was not acknowledged
                }
                publisher.abort();
            }
        }
    }

    private boolean onHistoryLost(HistoryLost e) {
        boolean outlasted = copyOutlastedHistory;
        copyOutlastedHistory = false;
        if (settings.historyLostPolicy() == HistoryLostPolicy.RECOPY && !outlasted) {
            log.error("relay {}: history lost; policy RECOPY re-publishes every source from the start (a fresh copy), "
                + "then streams. Cause: {}", settings.name(), e.getMessage());
            recopy = true;
            return true;
        }
        if (settings.historyLostPolicy() == HistoryLostPolicy.RESTART_FROM_NOW) {
            // The gap starts at the checkpointed position's time on the server; a long copy re-saves the same position
            // with a later savedAt, which would understate the gap.
            Instant from = checkpoints.load(settings.name())
                .map(c -> source.timeOf(c.token()).orElse(c.savedAt())).orElse(null);
            gaps.record(settings.name(), from, Instant.now(), e.getMessage());
            log.error("relay {}: history lost; policy RESTART_FROM_NOW recorded a gap from {} to now and continues. "
                + "Events appended in the gap were not relayed.", settings.name(), from);
            // The checkpoint is stale by definition: continue from now; the first position read is checkpointed.
            restartFromNow = true;
            return true;
        }
        failure = "relay " + settings.name() + ": its checkpoint is no longer in MongoDB's oplog (history lost), "
            + "so events after it may never have been published. Nothing more is relayed. To go on, enlarge the "
            + "oplog window and re-publish from the event store (the history-lost policy RECOPY does it"
            + (outlasted ? ", but not after a copy that outlasted the window: it would again" : "")
            + "), or set the history-lost policy to RESTART_FROM_NOW to record the gap and continue. Cause: "
            + e.getMessage();
        log.error(failure);
        role = RelayStatus.Role.FAILED;
        running = false;
        leadership.close();
        return false;
    }

}
