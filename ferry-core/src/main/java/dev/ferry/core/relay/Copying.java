package dev.ferry.core.relay;

import static dev.ferry.core.relay.PipelineFailure.at;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.HistoryLost;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * A term's copies of sources' existing documents: before streaming (the first time a relay leads, {@code earliest},
 * the RECOPY policy), and alongside the stream (a source added to the configuration, or asked for by an operator),
 * then the catch-up of such a source's own changes made during its copy. Copied records go through the same
 * {@link ChangeSender} and {@link Acknowledgements} as streamed ones: a copy's progress is checkpointed only once
 * everything sent before it is acknowledged, so a successor continues the copy where this one was acknowledged.
 */
final class Copying {

    private static final Logger log = LoggerFactory.getLogger(Copying.class);
    /** Documents a copy reads at a time: bounds its memory whatever the collection's size. */
    private static final int COPY_BATCH = 1_000;
    /** How often the leader looks for operators' copy requests. */
    private static final long REQUEST_CHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final Term term;
    private final SourceCopy copy;
    private final ChangeSource source;
    private final CheckpointStore checkpoints;
    private final Acknowledgements acks;
    private final ChangeSender sender;
    private final WatermarkCopies watermarks;
    /** When this term began copying, and what; null while it copied nothing. */
    private Instant startedAt;
    private final List<String> copiedSources = new ArrayList<>();
    /** Each copy's progress as sent, ahead of the acknowledged one. */
    private final Map<String, CopyProgress> sentCopies = new HashMap<>();
    /** Copies alongside the stream whose every batch is sent: their own changes are to be caught up. */
    private final Set<String> batchesSent = new HashSet<>();
    private long nextRequestCheckNanos = System.nanoTime();
    /** Set when the stream could not open at the position noted before this term's copy: it outlasted the oplog. */
    private boolean outlastedHistory;

    Copying(Term term, SourceCopy copy, ChangeSource source, CheckpointStore checkpoints, Acknowledgements acks,
            ChangeSender sender, WatermarkCopies watermarks) {
        this.term = term;
        this.copy = copy;
        this.source = source;
        this.checkpoints = checkpoints;
        this.acks = acks;
        this.sender = sender;
        this.watermarks = watermarks;
        if (acks.acknowledged() == null) {
            // Restarting from now after lost history: a copy alongside the stream would catch its source up from
            // a position that is lost too. It is dropped; copying that source needs a new request.
            for (String name : List.copyOf(acks.copies().keySet())) {
                CopyProgress progress = acks.copies().get(name);
                if (!progress.complete() && progress.alongsideStream()) {
                    log.warn("relay {}: the copy of {} alongside the stream is dropped with the lost history; "
                        + "request it again (ferry relay copy --source {})", term.relay(), name, name);
                    acks.removeCopy(name);
                }
            }
        }
    }

    /**
     * Notes where streaming will start — from the server (the stream's post-batch resume token), never a host clock —
     * and checkpoints it with the copy of {@code sources} still to do, before anything is copied: changes made during
     * the copy are then streamed (some twice; the version check absorbs them), none missed.
     *
     * @param sequence records published so far (a re-copy continues the relay's output sequence)
     */
    static Checkpoint begin(Term term, ChangeSource source, CheckpointStore checkpoints, List<String> sources,
                            long sequence) {
        ResumeToken noted = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (noted == null && term.running().getAsBoolean() && System.nanoTime() < deadline) {
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
        Map<String, CopyProgress> copies = new LinkedHashMap<>();
        sources.forEach(name -> copies.put(name, new CopyProgress("", 0, false)));
        Checkpoint started = new Checkpoint(noted, copies, sequence, term.epoch(), Instant.now());
        at(RelayStatus.Fault.CHECKPOINTS, () -> checkpoints.save(term.relay(), started));
        log.info("relay {}: copying {}, then streaming from the position noted now (sources copied by watermarks "
            + "are copied while it streams)", term.relay(), sources);
        return started;
    }

    /**
     * Copies what each source still has to copy before streaming, batch by batch, under the same backpressure and
     * acknowledgement as streaming: a batch's progress is checkpointed only once every record before it is
     * acknowledged.
     *
     * @return true if every such copy is complete; false if leadership or the instance ended first
     */
    boolean copyBeforeStreaming() {
        for (String name : copy.sources()) {
            CopyProgress progress = acks.copies().get(name);
            if (progress == null || progress.complete() || progress.alongsideStream() || watermarks.runs(name, progress)) {
                continue; // copied alongside the stream, or by watermarks while it streams
            }
            boolean done = false;
            while (!done && term.active()) {
                done = sendBatch(name);
            }
            if (!done) {
                return false;
            }
            log.info("relay {}: copy of {} done: {} documents", term.relay(), name, sentCopies.get(name).copied());
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
        if (startedAt == null) {
            return true;
        }
        if (!acks.drainAll()) {
            return false;
        }
        acks.maybeCheckpoint(true);
        return true;
    }

    /** Sources to copy first that a relay with a checkpoint has no copy progress of: added since, so copied now. */
    void adoptAddedSources() {
        ResumeToken acknowledged = acks.acknowledged();
        if (acknowledged == null) {
            return; // restarting from now after lost history: nothing is noted to catch up from
        }
        for (String name : copy.sources()) {
            if (!acks.copies().containsKey(name) && (term.settings().initialPosition() instanceof StartPosition.Earliest
                || copy.copiedFirst().contains(name))) {
                log.info("relay {}: source {} was added; it is copied while the others stream", term.relay(), name);
                // By watermarks it is streamed from here while copied; otherwise it is held out and caught up.
                acks.putCopy(name, new CopyProgress("", 0, false, copy.copiesByWatermarks(name) ? null : acknowledged));
            }
        }
        acks.maybeCheckpoint(true);
    }

    /** Sources being copied while the others stream, and so left out of the stream. */
    Set<String> copiedAlongside() {
        Set<String> held = new LinkedHashSet<>();
        acks.copies().forEach((name, progress) -> {
            if (!progress.complete() && progress.alongsideStream()) {
                held.add(name);
            }
        });
        return held;
    }

    /** Whether every batch of {@code name}'s copy alongside the stream is sent: its own changes are caught up next. */
    boolean batchesSent(String name) {
        return batchesSent.contains(name);
    }

    /**
     * Whether the stream, at {@code position}, has reached where {@code name}'s catch-up has got: a successor of a
     * term that caught up part of the way may not switch before, or the reopened stream would publish that part again.
     */
    boolean streamReached(String name, ResumeToken position) {
        CopyProgress progress = acks.copies().get(name);
        return progress == null || progress.notedAt() == null || source.compare(position, progress.notedAt()) >= 0;
    }

    /** Sends the next batch of {@code name}'s copy alongside the stream. */
    void sendBatchAlongside(String name) {
        if (sendBatch(name)) {
            batchesSent.add(name);
        }
    }

    /**
     * Takes up an operator's request to copy a source again, if it is time to look for one, and checkpoints it: by
     * watermarks at once; otherwise once everything sent is acknowledged, noting the stream's {@code position} as
     * where the source's own changes are caught up from.
     *
     * @return whether the stream is to be reopened without the source (a copy not by watermarks was taken up)
     */
    boolean takeRequest(ResumeToken position) {
        if (System.nanoTime() - nextRequestCheckNanos < 0) {
            return false;
        }
        nextRequestCheckNanos = System.nanoTime() + REQUEST_CHECK_NANOS;
        for (String requested : at(RelayStatus.Fault.CHECKPOINTS, () -> checkpoints.copyRequests(term.relay()))) {
            CopyProgress current = acks.copies().get(requested);
            if (!copy.sources().contains(requested) || (current != null && !current.complete())) {
                log.warn("relay {}: copy of {} requested, but {}", term.relay(), requested,
                    current == null ? "no such source can be copied; sources: " + copy.sources()
                        : "it is being copied already");
                checkpoints.clearCopyRequest(term.relay(), requested);
                continue;
            }
            try {
                copy.prepare(List.of(requested)); // a source copied only on request was not checked at start-up
            } catch (SourceCopy.NotReady e) {
                log.warn("relay {}: copy of {} requested, but {}", term.relay(), requested, e.getMessage());
                checkpoints.clearCopyRequest(term.relay(), requested);
                continue;
            }
            // By watermarks the stream goes on as it is (the copy's chunks come between its batches); otherwise the
            // source's own changes are caught up from the stream's position once its copy is done.
            boolean byWatermarks = copy.copiesByWatermarks(requested);
            if (!byWatermarks && !acks.drainAll()) {
                return false;
            }
            log.info("relay {}: copying {} again, as requested, {}", term.relay(), requested,
                byWatermarks ? "by watermarks while every source streams" : "while the others stream");
            acks.putCopy(requested, new CopyProgress("", 0, false, byWatermarks ? null : position));
            if (byWatermarks) {
                watermarks.restart(requested);
            } else {
                sentCopies.remove(requested);
            }
            acks.maybeCheckpoint(true);
            if (!acks.copiesUnsaved()) {
                // Taken up only once checkpointed: a leader deposed before that leaves it to its successor.
                checkpoints.clearCopyRequest(term.relay(), requested);
            }
            return !byWatermarks;
        }
        return false;
    }

    /**
     * Publishes {@code name}'s own changes from the position noted before its copy up to {@code until} (where the
     * stream had got), then records its copy complete.
     *
     * @return false if leadership or the instance ended first
     */
    boolean catchUp(String name, ResumeToken until) {
        CopyProgress progress = acks.copies().get(name);
        try (ChangeSource.ChangeFeed feed = open(new StartPosition.AfterToken(progress.notedAt()),
            at -> source.openOnly(at, name))) {
            boolean reached = false;
            while (!reached && term.active()) {
                List<Change> changes = at(RelayStatus.Fault.SOURCE, feed::poll);
                // Stamped with where the stream is: these changes lie before it, so the checkpoint stays there.
                ResumeToken stamp = acks.position();
                acks.copyWorkBegins();
                ResumeToken caughtUpTo = feed.position();
                for (Change change : changes) {
                    if (source.compare(change.token(), until) > 0) {
                        // The stream, reopened at {@code until} with this source, publishes it and what follows.
                        reached = true;
                        caughtUpTo = until;
                        break;
                    }
                    if (!term.active()) {
                        return false;
                    }
                    acks.awaitRoom();
                    sender.send(change, stamp);
                }
                if (caughtUpTo != null && source.compare(caughtUpTo, until) >= 0) {
                    reached = true;
                    caughtUpTo = until; // never past where the stream reopens
                }
                // Where the catch-up has got, checkpointed once what it sent is acknowledged: a successor catches up
                // from there, and a checkpoint never covers catch-up records it would send again.
                if (caughtUpTo != null) {
                    acks.markCopy(stamp, name, new CopyProgress(progress.position(), progress.copied(), false,
                        caughtUpTo));
                }
                acks.drainAcknowledged();
                acks.maybeCheckpoint(false);
            }
            if (!reached) {
                return false;
            }
        }
        if (!acks.drainAll()) {
            return false;
        }
        acks.putCopy(name, new CopyProgress(progress.position(), progress.copied(), true, null));
        batchesSent.remove(name);
        sentCopies.remove(name);
        acks.maybeCheckpoint(true);
        log.info("relay {}: copy of {} done while the others streamed: {} documents; it is streamed again",
            term.relay(), name, progress.copied());
        return true;
    }

    /**
     * Sends the next batch of {@code name}'s copy and, behind it, the mark of its progress (checkpointed once
     * everything before it is acknowledged). A copy alongside the stream is not complete when its last batch is
     * sent: its own changes are caught up first.
     *
     * @return whether its last batch is sent; false also if leadership or the instance ended
     */
    private boolean sendBatch(String name) {
        CopyProgress progress = sentCopies.computeIfAbsent(name, acks.copies()::get);
        if (startedAt == null) {
            startedAt = Instant.now();
        }
        if (!copiedSources.contains(name)) {
            copiedSources.add(name);
            if (progress.copied() > 0) {
                log.info("relay {}: continuing the copy of {} after {} documents", term.relay(), name,
                    progress.copied());
            }
        }
        // Copied records carry where the relay is; acknowledging them keeps the checkpoint there. What they read is
        // at least as recent as the position noted before the copy (a copy before streaming: the relay is there).
        ResumeToken stamp = acks.position();
        ResumeToken notedAt = progress.alongsideStream() ? progress.notedAt() : stamp;
        SourceCopy.CopyBatch batch = at(RelayStatus.Fault.SOURCE,
            () -> copy.next(name, progress.position(), stamp, notedAt, COPY_BATCH));
        acks.copyWorkBegins();
        for (Change change : batch.changes()) {
            if (!term.active()) {
                return false;
            }
            acks.awaitRoom();
            sender.send(change, stamp);
        }
        CopyProgress next = progress.advanced(batch.position(), progress.copied() + batch.changes().size(),
            batch.done() && !progress.alongsideStream());
        sentCopies.put(name, next);
        acks.markCopy(stamp, name, next);
        acks.drainAcknowledged();
        acks.maybeCheckpoint(false);
        return batch.done();
    }

    /**
     * Opens a feed; if it cannot open at the position noted before a copy this term finished, the copy outlasted
     * the source's history: says so with the copy's duration and the window the source retains.
     */
    ChangeSource.ChangeFeed open(StartPosition start, Function<StartPosition, ChangeSource.ChangeFeed> opening) {
        try {
            return at(RelayStatus.Fault.SOURCE, () -> opening.apply(start));
        } catch (HistoryLost e) {
            if (startedAt == null || !(start instanceof StartPosition.AfterToken noted)) {
                throw e;
            }
            outlastedHistory = true;
            Instant notedAt = source.timeOf(noted.token()).orElse(startedAt);
            throw new HistoryLost("the copy of " + copiedSources + " took "
                + Duration.between(notedAt, Instant.now()).toMillis() / 1000.0 + " s from the stream position noted "
                + "before it (at " + notedAt + "), longer than the source's history window, which now holds "
                + source.retained().map(Object::toString).orElse("(unknown: the oplog is not readable)")
                + "; the noted position left it before the copy ended, so the changes made during the copy cannot be "
                + "streamed. Enlarge the oplog window beyond the copy's duration (or copy fewer sources at a time), "
                + "then copy again", e);
        }
    }

    /** Whether a copy of this term outlasted the source's history (the RECOPY policy would only repeat it). */
    boolean outlastedHistory() {
        return outlastedHistory;
    }
}
