package dev.ferry.core.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.lease.Leadership;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.relay.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.RecordPublisher.Provenance;

/**
 * One relay instance. Of all instances sharing a name, the one holding the lease tails the event store's change
 * feed from the last checkpoint and publishes every event; the others stand by and take over when the lease
 * expires. A checkpoint is written only after the broker acknowledged everything before it, and only under the
 * writer's epoch, so after a failover events are re-published only if they were published but not checkpointed.
 * The leader reads its feed one batch ahead ({@link ReadAheadFeed}); only its worker thread publishes.
 */
public final class ChangeStreamRelay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ChangeStreamRelay.class);
    private static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    /** Documents a copy reads at a time: bounds its memory whatever the collection's size. */
    private static final int COPY_BATCH = 1_000;
    /** How often the leader looks for operators' copy requests. */
    private static final long REQUEST_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);
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

    private final AtomicLong published = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong oversized = new AtomicLong();
    private final AtomicLong terms = new AtomicLong();
    private final PipelineRestarts restarts;
    /** Since when changes wait unacknowledged (or the pipeline fails); null while nothing waits. */
    private volatile Instant waitingSince;
    private final BrokerRefusals refusals = new BrokerRefusals();
    private volatile long checkpointSequence = -1;
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
    /** The leader's last acknowledged position and last checkpointed one, for the headroom gauges; null otherwise. */
    private volatile ResumeToken lastAcknowledged;
    private volatile ResumeToken lastCheckpointed;

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
        this.worker = new Thread(this::work, "relay-" + settings.name() + "-" + instanceId);
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
        leadership.start();
        worker.start();
    }

    public RelayStatus status() {
        return new RelayStatus(role, leadingEpoch, published.get(), deadLettered.get(), oversized.get(),
            checkpointSequence, failure, terms.get(), restarts.byFault(), restarts.last(),
            role == RelayStatus.Role.LEADER ? waitingSince : null);
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
        ResumeToken position = lastAcknowledged;
        return position == null ? Double.NaN
            : source.timeOf(position).map(time -> (double) Duration.between(time, Instant.now()).toMillis())
                .orElse(Double.NaN);
    }

    /** See {@link #millisBehindSource()}. */
    public double oplogHeadroomMillis() {
        ResumeToken position = lastCheckpointed;
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
                waitingSince = null; // the leader's to report
                lastAcknowledged = null;
                lastCheckpointed = null;
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
            } catch (RuntimeException e) {
                if (killed) {
                    return;
                }
                if (e instanceof TermEnded || !leadership.isValid(epoch.getAsLong())) {
                    continue; // deposed or stopping: a new term (here or elsewhere), not a failure of the pipeline
                }
                restartAfter(e instanceof Failed failed ? failed.fault : RelayStatus.Fault.UNEXPECTED,
                    e instanceof Failed ? e.getCause() : e);
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
        if (waitingSince == null) {
            waitingSince = now; // a failing pipeline makes no progress, whether or not it had read anything
        }
        log.warn("relay {}: instance {} restarts its pipeline from the last checkpoint in {} ms ({} failure, {} in a "
            + "row): {}", settings.name(), instanceId, TimeUnit.NANOSECONDS.toMillis(backoff), fault, restarts.inARow(),
            cause);
        long deadline = System.nanoTime() + backoff;
        while (running && System.nanoTime() - deadline < 0) {
            LockSupport.parkNanos(Math.min(WAIT_SLICE_NANOS, deadline - System.nanoTime()));
        }
    }

    /** Runs {@code call}, attributing a failure to {@code fault}; the relay's own signals pass through. */
    private static <T> T at(RelayStatus.Fault fault, Supplier<T> call) {
        try {
            return call.get();
        } catch (HistoryLost | CheckpointStore.Fenced | Failed | TermEnded e) {
            throw e;
        } catch (RuntimeException e) {
            throw new Failed(fault, e);
        }
    }

    private static void at(RelayStatus.Fault fault, Runnable call) {
        at(fault, () -> {
            call.run();
            return null;
        });
    }

    /** Leads in {@code epoch} until deposed or stopped. */
    private void lead(long epoch) {
        TakeoverTimeline timeline = new TakeoverTimeline(settings.name(), epoch);
        Optional<Checkpoint> checkpoint = at(RelayStatus.Fault.CHECKPOINTS, () -> checkpoints.load(settings.name()));
        List<String> toCopy = recopy ? copy.sources()
            : checkpoint.isPresent() || restartFromNow ? List.of()
            : settings.initialPosition() instanceof StartPosition.Earliest ? copy.sources() : copy.copiedFirst();
        if (!toCopy.isEmpty()) {
            checkpoint = Optional.of(beginCopy(epoch, toCopy, checkpoint.map(Checkpoint::sequence).orElse(0L)));
            recopy = false;
        }
        StartPosition start = restartFromNow ? new StartPosition.Now()
            : checkpoint.<StartPosition>map(c -> new StartPosition.AfterToken(c.token()))
                .orElse(settings.initialPosition());
        Term term = new Term(epoch, checkpoint.map(Checkpoint::sequence).orElse(0L),
            restartFromNow ? null : checkpoint.map(Checkpoint::token).orElse(null),
            checkpoint.map(Checkpoint::copies).orElse(Map.of()), timeline);
        role = RelayStatus.Role.LEADER;
        if (leadingEpoch != epoch) {
            terms.incrementAndGet();
        }
        leadingEpoch = epoch;
        log.info("relay {}: instance {} leads at epoch {}, starting {}", settings.name(), instanceId, epoch,
            checkpoint.map(c -> "after checkpoint of sequence " + c.sequence()).orElse("at " + start));
        RecordPublisher publisher = at(RelayStatus.Fault.BROKER, publishers::get);
        timeline.publisherReady();
        currentPublisher = publisher;
        boolean graceful = false;
        try {
            // Stream only once every copy is complete: a stream started early would publish newer versions before
            // a later term copied older ones.
            if (term.copy(publisher) && term.settle() && running && leadership.isValid(epoch)) {
                term.stream(start, publisher);
            }
            graceful = !killed && leadership.isValid(epoch);
        } finally {
            currentPublisher = null;
            if (graceful) {
                publisher.close();
                term.finish();
            } else {
                if (!killed) {
                    term.checkpointAcknowledged(); // a restart re-publishes only what was not acknowledged
                }
                publisher.abort();
            }
        }
    }

    /**
     * Opens the stream; if it cannot open at the position noted before a copy this term finished, the copy outlasted
     * the source's history: say so with the copy's duration and the window the source retains.
     */
    private ChangeSource.ChangeFeed open(StartPosition start, Term term,
                                         java.util.function.Function<StartPosition, ChangeSource.ChangeFeed> opening) {
        try {
            return at(RelayStatus.Fault.SOURCE, () -> opening.apply(start));
        } catch (HistoryLost e) {
            if (term.copyStartedAt == null || !(start instanceof StartPosition.AfterToken noted)) {
                throw e;
            }
            copyOutlastedHistory = true;
            Instant notedAt = source.timeOf(noted.token()).orElse(term.copyStartedAt);
            throw new HistoryLost("the copy of " + term.copiedSources + " took "
                + Duration.between(notedAt, Instant.now()).toMillis() / 1000.0 + " s from the stream position noted "
                + "before it (at " + notedAt + "), longer than the source's history window, which now holds "
                + source.retained().map(Object::toString).orElse("(unknown: the oplog is not readable)")
                + "; the noted position left it before the copy ended, so the changes made during the copy cannot be "
                + "streamed. Enlarge the oplog window beyond the copy's duration (or copy fewer sources at a time), "
                + "then copy again", e);
        }
    }

    /**
     * Notes where streaming will start — from the server (the stream's post-batch resume token), never a host clock —
     * and checkpoints it with the copy of {@code sources} still to do, before anything is copied: changes made during
     * the copy are then streamed (some twice; the version check absorbs them), none missed.
     *
     * @param sequence records published so far (a re-copy continues the relay's output sequence)
     */
    private Checkpoint beginCopy(long epoch, List<String> sources, long sequence) {
        ResumeToken noted = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (noted == null && running && System.nanoTime() < deadline) {
            try (ChangeSource.ChangeFeed feed = at(RelayStatus.Fault.SOURCE, () -> source.open(new StartPosition.Now()))) {
                // The position right after opening. A server that reports none until a read is read once; the
                // position after what that read returned is as good: those changes were made before the copy starts,
                // so the copy reads their effect (sources not copied start "now" a moment later). Waiting for a read
                // that returns nothing never ends while writers are busy.
                noted = feed.position();
                if (noted == null) {
                    List<Change> read = at(RelayStatus.Fault.SOURCE, feed::poll);
                    noted = feed.position() != null || read.isEmpty() ? feed.position() : read.get(read.size() - 1).token();
                }
            }
        }
        if (noted == null) {
            throw new IllegalStateException("the change stream reported no position to note before copying; is this "
                + "a replica set?");
        }
        Map<String, CheckpointStore.CopyProgress> copies = new LinkedHashMap<>();
        sources.forEach(name -> copies.put(name, new CheckpointStore.CopyProgress("", 0, false)));
        Checkpoint started = new Checkpoint(noted, copies, sequence, epoch, Instant.now());
        at(RelayStatus.Fault.CHECKPOINTS, () -> checkpoints.save(settings.name(), started));
        log.info("relay {}: copying {} before streaming from the position noted now", settings.name(), sources);
        return started;
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
            // The checkpoint is stale by definition: continue from now, and let the first event checkpoint.
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

    /** One leadership term: publish, track acknowledgements in order, checkpoint the acknowledged prefix. */
    private final class Term {

        private final long epoch;
        /** Each source's copy progress, as acknowledged; checkpointed with the token. */
        private final Map<String, CheckpointStore.CopyProgress> copies;
        private boolean copiesChanged;
        private final Deque<Pending> inFlight = new ArrayDeque<>();
        private long sequence;
        private int inFlightEvents;
        private ResumeToken acknowledged;
        private long acknowledgedSequence;
        private ResumeToken saved;
        private long lastSaveNanos = System.nanoTime();
        /** When this term began copying, and what; null while it copied nothing. */
        private Instant copyStartedAt;
        private final List<String> copiedSources = new ArrayList<>();
        /** Each copy's progress as sent, ahead of {@link #copies} (as acknowledged). */
        private final Map<String, CheckpointStore.CopyProgress> sentCopies = new HashMap<>();
        /** Copies alongside the stream whose every batch is sent: their own changes are to be caught up. */
        private final Set<String> batchesSent = new HashSet<>();
        private long nextRequestCheckNanos = System.nanoTime();
        private final TakeoverTimeline timeline;

        Term(long epoch, long sequence, ResumeToken checkpointed, Map<String, CheckpointStore.CopyProgress> copies,
             TakeoverTimeline timeline) {
            this.epoch = epoch;
            this.timeline = timeline;
            this.copies = new LinkedHashMap<>(copies);
            this.sequence = sequence;
            this.acknowledgedSequence = sequence;
            this.saved = checkpointed;
            this.acknowledged = checkpointed;
            lastAcknowledged = checkpointed;
            lastCheckpointed = checkpointed;
            if (checkpointed == null) {
                // Restarting from now after lost history: a copy alongside the stream would catch its source up from
                // a position that is lost too. It is dropped; copying that source needs a new request.
                this.copies.entrySet().removeIf(entry -> {
                    boolean dropped = !entry.getValue().complete() && entry.getValue().alongsideStream();
                    if (dropped) {
                        log.warn("relay {}: the copy of {} alongside the stream is dropped with the lost history; "
                            + "request it again (ferry relay copy --source {})", settings.name(), entry.getKey(),
                            entry.getKey());
                        copiesChanged = true;
                    }
                    return dropped;
                });
            }
        }

        /**
         * Streams from {@code start} until leadership or the instance ends. A source being copied while the others
         * stream (added to the configuration, or asked for by an operator) is left out of the stream while its copy
         * is published between the stream's batches: its own changes would otherwise be published before older
         * versions of the same keys. Once its copy is acknowledged, its changes since the position noted before the
         * copy are caught up (that source alone, up to where the stream had got), then the stream goes on with it.
         * Nothing of the other sources is published twice or skipped.
         */
        void stream(StartPosition start, RecordPublisher publisher) {
            adoptAddedSources();
            StartPosition position = start;
            while (position != null && running && leadership.isValid(epoch)) {
                Set<String> held = copiedAlongside();
                Switch next;
                try (ChangeSource.ChangeFeed feed = new ReadAheadFeed(open(position, this,
                    at -> source.open(at, held)), worker.getName() + "-reader")) {
                    timeline.streamOpened();
                    next = run(feed, publisher, held, position);
                }
                if (next != null && next.caughtUp() != null && !catchUp(next.caughtUp(), next.at(), publisher)) {
                    return;
                }
                position = next == null ? null : new StartPosition.AfterToken(next.at());
            }
        }

        /**
         * Publishes the feed (and a batch of the held source's copy after each of its batches) until the set of held
         * sources changes.
         *
         * @return where to reopen and which source to catch up first, or null once leadership or the instance ended
         */
        private Switch run(ChangeSource.ChangeFeed feed, RecordPublisher publisher, Set<String> held,
                           StartPosition start) {
            String copying = held.isEmpty() ? null : held.iterator().next();
            while (running && leadership.isValid(epoch)) {
                List<Change> changes = at(RelayStatus.Fault.SOURCE, feed::poll);
                for (Change change : changes) {
                    if (!running || !leadership.isValid(epoch)) {
                        return null; // deposed or stopping: publish nothing more
                    }
                    timeline.changeRead();
                    awaitRoom();
                    send(change, publisher, change.token());
                }
                drainAcknowledged();
                if (inFlight.isEmpty() && changes.isEmpty()) {
                    waitingSince = null; // read to the end, everything acknowledged: nothing waits
                }
                if (inFlight.isEmpty() && changes.isEmpty() && feed.position() != null) {
                    // Quiet: a real server's post-batch token moves on; keep the checkpoint inside the oplog window.
                    acknowledged = feed.position();
                    lastAcknowledged = acknowledged;
                }
                maybeCheckpoint(false);
                if (copying != null && !batchesSent.contains(copying)) {
                    if (sendCopyBatch(copying, publisher)) {
                        batchesSent.add(copying);
                    }
                } else if (copying != null && feed.position() != null) {
                    return drainAll() ? new Switch(feed.position(), copying) : null;
                } else if (feed.position() != null && System.nanoTime() - nextRequestCheckNanos >= 0) {
                    nextRequestCheckNanos = System.nanoTime() + REQUEST_CHECK_NANOS;
                    if (takeCopyRequest(feed.position())) {
                        return new Switch(feed.position(), null);
                    }
                }
            }
            return null;
        }

        /** Sources to copy first that a relay with a checkpoint has no copy progress of: added since, so copied now. */
        private void adoptAddedSources() {
            if (acknowledged == null) {
                return; // restarting from now after lost history: nothing is noted to catch up from
            }
            for (String name : copy.sources()) {
                if (!copies.containsKey(name) && (settings.initialPosition() instanceof StartPosition.Earliest
                    || copy.copiedFirst().contains(name))) {
                    log.info("relay {}: source {} was added; it is copied while the others stream", settings.name(),
                        name);
                    copies.put(name, new CheckpointStore.CopyProgress("", 0, false, acknowledged));
                    copiesChanged = true;
                }
            }
            maybeCheckpoint(true);
        }

        /** Sources being copied while the others stream, and so left out of the stream. */
        private Set<String> copiedAlongside() {
            Set<String> held = new java.util.LinkedHashSet<>();
            copies.forEach((name, progress) -> {
                if (!progress.complete() && progress.alongsideStream()) {
                    held.add(name);
                }
            });
            return held;
        }

        /**
         * Takes up an operator's request to copy a source again: once everything sent is acknowledged, notes the
         * stream's position as where the source's own changes are caught up from, and checkpoints it.
         *
         * @return whether a copy was taken up (the stream is then reopened without that source)
         */
        private boolean takeCopyRequest(ResumeToken position) {
            for (String requested : at(RelayStatus.Fault.CHECKPOINTS, () -> checkpoints.copyRequests(settings.name()))) {
                CheckpointStore.CopyProgress current = copies.get(requested);
                if (!copy.sources().contains(requested) || (current != null && !current.complete())) {
                    log.warn("relay {}: copy of {} requested, but {}", settings.name(), requested,
                        current == null ? "no such source can be copied; sources: " + copy.sources()
                            : "it is being copied already");
                    checkpoints.clearCopyRequest(settings.name(), requested);
                    continue;
                }
                try {
                    copy.prepare(List.of(requested)); // a source copied only on request was not checked at start-up
                } catch (SourceCopy.NotReady e) {
                    log.warn("relay {}: copy of {} requested, but {}", settings.name(), requested, e.getMessage());
                    checkpoints.clearCopyRequest(settings.name(), requested);
                    continue;
                }
                if (!drainAll()) {
                    return false;
                }
                log.info("relay {}: copying {} again, as requested, while the others stream", settings.name(),
                    requested);
                copies.put(requested, new CheckpointStore.CopyProgress("", 0, false, position));
                sentCopies.remove(requested);
                copiesChanged = true;
                maybeCheckpoint(true);
                if (!copiesChanged) {
                    // Taken up only once checkpointed: a leader deposed before that leaves it to its successor.
                    checkpoints.clearCopyRequest(settings.name(), requested);
                }
                return true;
            }
            return false;
        }

        /**
         * Publishes {@code name}'s own changes from the position noted before its copy up to {@code until} (where the
         * stream had got), then records its copy complete.
         *
         * @return false if leadership or the instance ended first
         */
        private boolean catchUp(String name, ResumeToken until, RecordPublisher publisher) {
            CheckpointStore.CopyProgress progress = copies.get(name);
            try (ChangeSource.ChangeFeed feed = open(new StartPosition.AfterToken(progress.notedAt()), this,
                at -> source.openOnly(at, name))) {
                while (running && leadership.isValid(epoch)) {
                    List<Change> changes = at(RelayStatus.Fault.SOURCE, feed::poll);
                    // Stamped with where the stream is: these changes lie before it, so the checkpoint stays there.
                    ResumeToken stamp = inFlight.isEmpty() ? acknowledged : inFlight.peekLast().token();
                    for (Change change : changes) {
                        if (!running || !leadership.isValid(epoch)) {
                            return false;
                        }
                        awaitRoom();
                        send(change, publisher, stamp);
                    }
                    drainAcknowledged();
                    maybeCheckpoint(false);
                    if (feed.position() != null && source.compare(feed.position(), until) >= 0) {
                        break;
                    }
                }
            }
            if (!drainAll()) {
                return false;
            }
            copies.put(name, new CheckpointStore.CopyProgress(progress.position(), progress.copied(), true, null));
            copiesChanged = true;
            batchesSent.remove(name);
            sentCopies.remove(name);
            maybeCheckpoint(true);
            log.info("relay {}: copy of {} done while the others streamed: {} documents; it is streamed again",
                settings.name(), name, progress.copied());
            return true;
        }

        /**
         * Sends the next batch of {@code name}'s copy and, behind it, the mark of its progress (checkpointed once
         * everything before it is acknowledged). A copy alongside the stream is not complete when its last batch is
         * sent: its own changes are caught up first.
         *
         * @return whether its last batch is sent; false also if leadership or the instance ended
         */
        private boolean sendCopyBatch(String name, RecordPublisher publisher) {
            CheckpointStore.CopyProgress progress = sentCopies.computeIfAbsent(name, copies::get);
            if (copyStartedAt == null) {
                copyStartedAt = Instant.now();
            }
            if (!copiedSources.contains(name)) {
                copiedSources.add(name);
                if (progress.copied() > 0) {
                    log.info("relay {}: continuing the copy of {} after {} documents", settings.name(), name,
                        progress.copied());
                }
            }
            // Copied records carry where the relay is; acknowledging them keeps the checkpoint there. What they read is
            // at least as recent as the position noted before the copy (a copy before streaming: the relay is there).
            ResumeToken stamp = inFlight.isEmpty() ? acknowledged : inFlight.peekLast().token();
            ResumeToken notedAt = progress.alongsideStream() ? progress.notedAt() : stamp;
            SourceCopy.CopyBatch batch = at(RelayStatus.Fault.SOURCE,
                () -> copy.next(name, progress.position(), stamp, notedAt, COPY_BATCH));
            for (Change change : batch.changes()) {
                if (!running || !leadership.isValid(epoch)) {
                    return false;
                }
                awaitRoom();
                send(change, publisher, stamp);
            }
            CheckpointStore.CopyProgress next = progress.advanced(batch.position(),
                progress.copied() + batch.changes().size(), batch.done() && !progress.alongsideStream());
            sentCopies.put(name, next);
            inFlight.addLast(new Pending(stamp, sequence, 0, null, CompletableFuture.completedFuture(null), name,
                next, null));
            inFlightEvents++;
            drainAcknowledged();
            maybeCheckpoint(false);
            return batch.done();
        }

        /**
         * Copies what each source still has to copy before streaming, batch by batch, under the same backpressure and
         * acknowledgement as streaming: a batch's progress is checkpointed only once every record before it is
         * acknowledged.
         *
         * @return true if every such copy is complete; false if leadership or the instance ended first
         */
        boolean copy(RecordPublisher publisher) {
            for (String name : copy.sources()) {
                CheckpointStore.CopyProgress progress = copies.get(name);
                if (progress == null || progress.complete() || progress.alongsideStream()) {
                    continue;
                }
                boolean done = false;
                while (!done && running && leadership.isValid(epoch)) {
                    done = sendCopyBatch(name, publisher);
                }
                if (!done) {
                    return false;
                }
                log.info("relay {}: copy of {} done: {} documents", settings.name(), name, sentCopies.get(name).copied());
            }
            return true;
        }

        /**
         * Once a copy is complete, waits for every copied record's acknowledgement and checkpoints it, before the stream
         * opens: a stream that cannot open (the copy outlasted the oplog) then leaves the copy recorded as done.
         *
         * @return false if leadership or the instance ended first
         */
        boolean settle() {
            if (copyStartedAt == null) {
                return true;
            }
            if (!drainAll()) {
                return false;
            }
            maybeCheckpoint(true);
            return true;
        }

        /** Waits until everything sent is acknowledged; false if leadership or the instance ended first. */
        private boolean drainAll() {
            while (!inFlight.isEmpty()) {
                if (!running || !leadership.isValid(epoch)) {
                    return false;
                }
                awaitHead(WAIT_SLICE_NANOS);
                drainAcknowledged();
            }
            return true;
        }

        /** After a graceful stop: everything in flight was flushed; record it. */
        void finish() {
            while (!inFlight.isEmpty()) {
                awaitHead(Long.MAX_VALUE);
                drainAcknowledged();
            }
            maybeCheckpoint(true);
        }

        /**
         * Sends a change's records, each prepared first: a change the transport cannot carry (or whose record the broker
         * refused for its content before a restart) is dead-lettered whole, naming the field and the rule, and the
         * relay goes on. Preparing does no I/O, so whatever fails there is the document's fault, never the broker's.
         *
         * @param token where acknowledging it puts the relay: the change's own, or where the relay already is
         */
        private void send(Change change, RecordPublisher publisher, ResumeToken token) {
            if (change instanceof Change.Malformed malformed) {
                sendDeadLetter(malformed, publisher, token, change);
                return;
            }
            List<? extends FerryRecord> records = change.records();
            List<RecordPublisher.Prepared> prepared = new ArrayList<>(records.size());
            try {
                RecordRefused refused = refusals.of(change);
                if (refused != null) {
                    throw refused;
                }
                for (FerryRecord record : records) {
                    prepared.add(publisher.prepare(record));
                }
            } catch (RuntimeException e) {
                RecordRefused refused = e instanceof RecordRefused r ? r
                    : new RecordRefused("cannot be made into a record: " + e, false, e);
                sendDeadLetter(uncarriable(token, records, refused), publisher, token, change);
                return;
            }
            List<CompletableFuture<Void>> sends = new ArrayList<>(prepared.size());
            for (RecordPublisher.Prepared record : prepared) {
                sequence++;
                CompletableFuture<Void> sent = publisher.publish(record, new Provenance(instanceId, epoch, sequence));
                RecordRefused refused = sends.isEmpty() ? refusedAtOnce(sent) : null;
                if (refused != null) {
                    // Refused before anything of the change was sent (a topic name the broker will not create): the
                    // change's records all go to that topic, so it is dead-lettered whole, as if refused in prepare.
                    sequence--;
                    sendDeadLetter(uncarriable(token, records, refused), publisher, token, change);
                    return;
                }
                sends.add(sent);
            }
            track(token, prepared.size(), sends.size() == 1 ? sends.get(0)
                : CompletableFuture.allOf(sends.toArray(new CompletableFuture[0])), null, change);
        }

        private void sendDeadLetter(Change.Malformed malformed, RecordPublisher publisher, ResumeToken token,
                                    Change change) {
            RecordRefused earlier = refusals.ofDeadLetter(change);
            if (earlier != null) {
                // The broker refused this dead letter itself: what is left is its reason and position, nothing quoted.
                malformed = new Change.Malformed(malformed.token(), "{}", malformed.reason().substring(0,
                    Math.min(500, malformed.reason().length())) + " [its dead letter with the document was refused by "
                    + "the broker: " + earlier.getMessage() + "]", malformed.cause());
            }
            log.warn("relay {}: a change that cannot be published goes to the dead-letter topic: {}", settings.name(),
                malformed.reason());
            track(token, 0, publisher.publishDeadLetter(malformed, new Provenance(instanceId, epoch, sequence)),
                malformed.cause(), change);
        }

        /** @param deadLetter why it was dead-lettered; null for records published */
        private void track(ResumeToken token, int events, CompletableFuture<Void> acked,
                           Change.Malformed.Cause deadLetter, Change change) {
            if (inFlight.isEmpty() && waitingSince == null) {
                waitingSince = Instant.now();
            }
            inFlight.addLast(new Pending(token, sequence, events, deadLetter, acked, null, null, change));
            inFlightEvents += Math.max(events, 1);
        }

        /** Backpressure: while too much is unacknowledged, wait for the oldest instead of reading on. */
        private void awaitRoom() {
            while (inFlightEvents >= settings.maxInFlight()) {
                awaitHead(WAIT_SLICE_NANOS);
                drainAcknowledged();
                if (!running || !leadership.isValid(epoch)) {
                    throw new TermEnded("leadership of epoch " + epoch + " ended while waiting for acks");
                }
            }
        }

        private void awaitHead(long nanos) {
            Pending head = inFlight.peekFirst();
            if (head == null) {
                return;
            }
            try {
                head.acked().get(nanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // not yet; the caller re-checks leadership
            } catch (ExecutionException e) {
                throw notAcknowledged(head, e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TermEnded("interrupted while waiting for the broker");
            }
        }

        /**
         * The failure of a send the broker did not acknowledge. One it refused for the record's content is remembered,
         * so that the change is dead-lettered when the restarted pipeline reads it again.
         */
        private Failed notAcknowledged(Pending head, Throwable cause) {
            if (cause instanceof CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof RecordRefused refused && head.change() != null) {
                refusals.remember(head.change(), refused, head.deadLetter() != null);
                return new Failed(RelayStatus.Fault.RECORD_REFUSED, refused);
            }
            return new Failed(RelayStatus.Fault.BROKER, cause);
        }

        /** Moves the acknowledged position over the completed prefix, in order; throws at a failed send. */
        private void drainAcknowledged() {
            drainAcknowledged(true);
        }

        /** @param throwAtFailure false: stop quietly at a failed send (the term is ending anyway) */
        private void drainAcknowledged(boolean throwAtFailure) {
            boolean moved = false;
            while (!inFlight.isEmpty() && inFlight.peekFirst().acked().isDone()) {
                Pending head = inFlight.peekFirst();
                if (head.acked().isCompletedExceptionally()) {
                    if (!throwAtFailure) {
                        break;
                    }
                    awaitHead(0); // throws its cause
                    throw new Failed(RelayStatus.Fault.BROKER, new IllegalStateException("the broker did not "
                        + "acknowledge a publish"));
                }
                inFlight.removeFirst();
                moved = true;
                inFlightEvents -= Math.max(head.events(), 1);
                if (head.copied() != null) {
                    copies.put(head.copiedSource(), head.copied());
                    copiesChanged = true;
                }
                acknowledged = head.token();
                lastAcknowledged = acknowledged;
                acknowledgedSequence = head.sequence();
                timeline.acknowledged();
                published.addAndGet(head.events());
                if (head.deadLetter() != null) {
                    deadLettered.incrementAndGet();
                    if (head.deadLetter() == Change.Malformed.Cause.OVERSIZED) {
                        oversized.incrementAndGet();
                    }
                }
            }
            if (moved) {
                restarts.progressed();
                waitingSince = inFlight.isEmpty() ? null : Instant.now();
            }
        }

        /**
         * After a failure: moves over what was acknowledged before it and checkpoints that, so the restart re-publishes
         * only what was not. Best effort: what cannot be saved now is re-published, as before.
         */
        void checkpointAcknowledged() {
            try {
                drainAcknowledged(false);
                maybeCheckpoint(true);
            } catch (RuntimeException e) {
                log.debug("relay {}: could not checkpoint the acknowledged prefix before restarting: {}",
                    settings.name(), e.toString());
            }
        }

        private void maybeCheckpoint(boolean force) {
            if (acknowledged == null || (acknowledged.equals(saved) && !copiesChanged)) {
                return;
            }
            long now = System.nanoTime();
            if (!force && now - lastSaveNanos < settings.checkpointInterval().toNanos()) {
                return;
            }
            if (!leadership.isValid(epoch)) {
                return; // a deposed leader never moves the checkpoint (the store's epoch check enforces it too)
            }
            Checkpoint next = new Checkpoint(acknowledged, copies, acknowledgedSequence, epoch, Instant.now());
            at(RelayStatus.Fault.CHECKPOINTS, () -> checkpoints.save(settings.name(), next));
            saved = acknowledged;
            lastCheckpointed = acknowledged;
            copiesChanged = false;
            lastSaveNanos = now;
            checkpointSequence = acknowledgedSequence;
            restartFromNow = false;
        }
    }

    /** Where to reopen the stream after the set of sources left out of it changed, and which source to catch up. */
    private record Switch(ResumeToken at, String caughtUp) {
    }

    /** A future that failed at once because the transport refused its record, before sending; else null. */
    private static RecordRefused refusedAtOnce(CompletableFuture<Void> sent) {
        if (!sent.isCompletedExceptionally()) {
            return null;
        }
        try {
            sent.getNow(null);
            return null;
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            return e.getCause() instanceof RecordRefused refused ? refused : null;
        }
    }

    /** The dead letter of a change that was read but that the transport cannot carry. */
    private static Change.Malformed uncarriable(ResumeToken token, List<? extends FerryRecord> records,
                                                RecordRefused refused) {
        return new Change.Malformed(token, describe(records), refused.getMessage(),
            refused.tooLarge() ? Change.Malformed.Cause.OVERSIZED : Change.Malformed.Cause.UNCARRIABLE);
    }

    /** A dead letter's document for a change that was read but cannot be carried: its records as they would be sent. */
    private static String describe(List<? extends FerryRecord> records) {
        StringBuilder json = new StringBuilder("{\"records\":[");
        for (FerryRecord record : records) {
            if (json.charAt(json.length() - 1) != '[') {
                json.append(',');
            }
            try {
                json.append(record instanceof dev.ferry.core.event.Event event ? dev.ferry.core.wire.EventJson.encode(event)
                    : record instanceof dev.ferry.core.event.EntityChange entity
                        ? dev.ferry.core.wire.EntityJson.encode(entity)
                        : "{\"tombstone\":" + dev.ferry.core.wire.EventJson.quote(record.key()) + "}");
            } catch (RuntimeException e) {
                json.append("{\"type\":").append(dev.ferry.core.wire.EventJson.quote(record.type()))
                    .append(",\"key\":").append(dev.ferry.core.wire.EventJson.quote(record.key())).append('}');
            }
        }
        return json.append("]}").toString();
    }

    /** Something sent and not yet known acknowledged, or a copy's progress mark that waits behind it. */
    private record Pending(ResumeToken token, long sequence, int events, Change.Malformed.Cause deadLetter,
                           CompletableFuture<Void> acked, String copiedSource, CheckpointStore.CopyProgress copied,
                           Change change) {
    }

    /** A failure of the pipeline's environment (or a bug), by what failed: the pipeline restarts after a backoff. */
    private static final class Failed extends RuntimeException {
        private final RelayStatus.Fault fault;

        Failed(RelayStatus.Fault fault, Throwable cause) {
            super(fault + ": " + cause, cause);
            this.fault = fault;
        }
    }

    /** The term ended because leadership or the instance did: not a failure. */
    private static final class TermEnded extends RuntimeException {
        TermEnded(String message) {
            super(message);
        }
    }
}
