package dev.ferry.core.relay;

import static dev.ferry.core.relay.PipelineFailure.at;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.relay.spi.ResumeToken;

/**
 * A term's acknowledgements and checkpoints: what was sent and is not yet known acknowledged, in the order it was
 * sent, and the checkpoint of the acknowledged prefix. The acknowledged position moves only over a prefix whose every
 * send completed, so a checkpoint never passes a change the broker has not acknowledged, whatever was acknowledged
 * after it; a failed send stops the prefix (and the term). A copy's progress mark waits in the same queue, behind
 * what was sent before it. The relay's worker thread only.
 */
final class Acknowledgements {

    private static final Logger log = LoggerFactory.getLogger(Acknowledgements.class);
    private static final long WAIT_SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Term term;
    private final CheckpointStore checkpoints;
    private final Deque<Pending> inFlight = new ArrayDeque<>();
    /** Each source's copy progress, as acknowledged; checkpointed with the token. */
    private final Map<String, CopyProgress> copies;
    private boolean copiesChanged;
    private long sequence;
    private int inFlightEvents;
    private ResumeToken acknowledged;
    private long acknowledgedSequence;
    private ResumeToken saved;
    /** Whether something sent was acknowledged since the last checkpoint (not only a quiet source's position). */
    private boolean sentSinceSave;
    private long lastSaveNanos = System.nanoTime();
    private boolean checkpointed;
    /**
     * A copy's records are being sent and its progress mark is not yet queued: they carry the relay's position, so no
     * checkpoint covers them until the mark. A store that commits the records sent waits for the mark.
     */
    private boolean copyWorkUnmarked;

    /**
     * @param sequence     records published up to {@code checkpointed}
     * @param checkpointed where the term starts; null when there is no checkpoint to start from (a new relay, or one
     *                     restarted from now after lost history): the first read position is then checkpointed at the
     *                     short interval
     * @param copies       each source's copy progress as checkpointed
     */
    Acknowledgements(Term term, CheckpointStore checkpoints, long sequence, ResumeToken checkpointed,
                     Map<String, CopyProgress> copies) {
        this.term = term;
        this.checkpoints = checkpoints;
        this.copies = new LinkedHashMap<>(copies);
        this.sequence = sequence;
        this.acknowledgedSequence = sequence;
        this.saved = checkpointed;
        this.acknowledged = checkpointed;
        term.progress().termStarts(checkpointed);
    }

    /** Records sent so far in the relay's output, acknowledged or not: the next record is {@code sequence() + 1}. */
    long sequence() {
        return sequence;
    }

    /** The acknowledged position; null while nothing was acknowledged after starting from now. */
    ResumeToken acknowledged() {
        return acknowledged;
    }

    /** Where the relay is: the position of the last change sent, or the acknowledged one if nothing is in flight. */
    ResumeToken position() {
        return inFlight.isEmpty() ? acknowledged : inFlight.peekLast().token();
    }

    boolean isEmpty() {
        return inFlight.isEmpty();
    }

    /** Each source's copy progress as acknowledged (what the next checkpoint holds). */
    Map<String, CopyProgress> copies() {
        return Collections.unmodifiableMap(copies);
    }

    /**
     * Records a copy's progress at once, for the next checkpoint: ahead of anything in flight, so the caller has either
     * drained what was sent or sent nothing the progress depends on.
     */
    void putCopy(String source, CopyProgress progress) {
        copies.put(source, progress);
        copiesChanged = true;
    }

    /** Drops a copy's progress (a copy that cannot go on). */
    void removeCopy(String source) {
        copies.remove(source);
        copiesChanged = true;
    }

    /**
     * Tracks a change's send.
     *
     * @param token      where acknowledging it puts the relay
     * @param events     its records sent (the sequence moves over them); 0 for a dead letter
     * @param deadLetter why it was dead-lettered; null for records published
     * @param change     what was read, so that a refusal of its records is remembered; null if nothing
     */
    void track(ResumeToken token, int events, CompletableFuture<Void> acked, Change.Refused.Cause deadLetter,
               Change change) {
        if (inFlight.isEmpty()) {
            term.progress().waiting(Instant.now());
        }
        sequence += events;
        inFlight.addLast(new Pending(token, sequence, events, deadLetter, acked, null, null, change));
        inFlightEvents += Math.max(events, 1);
    }

    /**
     * Queues {@code source}'s copy progress behind everything sent: it is checkpointed, at {@code token}, once all of
     * that is acknowledged.
     */
    void markCopy(ResumeToken token, String source, CopyProgress progress) {
        copyWorkUnmarked = false;
        inFlight.addLast(new Pending(token, sequence, 0, null, CompletableFuture.completedFuture(null), source,
            progress, null));
        inFlightEvents++;
    }

    /**
     * The source was read to {@code position} (null if unknown) and returned nothing: if nothing is in flight, nothing
     * waits, and the acknowledged position moves on with a quiet source (a real server's post-batch token), which
     * keeps the checkpoint inside the oplog window.
     */
    void readToTheEnd(ResumeToken position) {
        if (!inFlight.isEmpty()) {
            return;
        }
        term.progress().nothingWaits();
        if (position != null) {
            acknowledged = position;
            term.progress().movedTo(position);
        }
    }

    /**
     * A copy's records follow, then their progress mark ({@link #markCopy}): until the mark, a store that commits the
     * records sent with each checkpoint is not saved to, since the checkpoint would not cover them (a successor would
     * send them again, visibly). In the default stores this changes nothing: the mark's progress is what they save.
     */
    void copyWorkBegins() {
        copyWorkUnmarked = true;
    }

    /** Backpressure: while too much is unacknowledged, wait for the oldest instead of reading on. */
    void awaitRoom() {
        while (inFlightEvents >= term.settings().maxInFlight()) {
            awaitHead(WAIT_SLICE_NANOS);
            drainAcknowledged();
            if (!term.active()) {
                throw new TermEnded("leadership of epoch " + term.epoch() + " ended while waiting for acks");
            }
        }
    }

    /** Waits until everything sent is acknowledged; false if leadership or the instance ended first. */
    boolean drainAll() {
        while (!inFlight.isEmpty()) {
            if (!term.active()) {
                return false;
            }
            awaitHead(WAIT_SLICE_NANOS);
            drainAcknowledged();
            // What was acknowledged meanwhile is checkpointed as it comes (at the checkpoint interval): a broker that
            // stops acknowledging must not keep a copy's progress, or the stream's, from being recorded.
            maybeCheckpoint(false);
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
    private PipelineFailure notAcknowledged(Pending head, Throwable cause) {
        if (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof RecordRefused refused && head.change() != null) {
            term.refusals().remember(head.change(), refused, head.deadLetter() != null);
            return new PipelineFailure(RelayStatus.Fault.RECORD_REFUSED, refused);
        }
        return new PipelineFailure(RelayStatus.Fault.BROKER, cause);
    }

    /** Moves the acknowledged position over the completed prefix, in order; throws at a failed send. */
    void drainAcknowledged() {
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
                throw new PipelineFailure(RelayStatus.Fault.BROKER, new IllegalStateException("the broker did not "
                    + "acknowledge a publish"));
            }
            inFlight.removeFirst();
            moved = true;
            sentSinceSave = true;
            inFlightEvents -= Math.max(head.events(), 1);
            if (head.copied() != null) {
                copies.put(head.copiedSource(), head.copied());
                copiesChanged = true;
            }
            acknowledged = head.token();
            acknowledgedSequence = head.sequence();
            term.timeline().acknowledged();
            term.progress().acknowledged(acknowledged, head.events(), head.deadLetter());
        }
        if (moved) {
            term.progress().progressed(!inFlight.isEmpty());
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
            log.debug("relay {}: could not checkpoint the acknowledged prefix before restarting: {}", term.relay(),
                e.toString());
        }
    }

    /**
     * Checkpoints the acknowledged position and copy progress if either moved since the last checkpoint, and the
     * checkpoint interval has passed or {@code force}. A position that moved only over changes nothing was published
     * for waits the idle interval: a quiet source moves it with every read (the relay's own lease and checkpoint
     * writes are changes too), and it only needs to stay inside the oplog window. A term with no checkpoint to start
     * from (a new relay, or one restarted from now after lost history) writes its first at the short interval too:
     * until it exists, a successor would start from a later "now" and skip what was appended in between.
     */
    void maybeCheckpoint(boolean force) {
        if (acknowledged == null || (acknowledged.equals(saved) && !copiesChanged)) {
            return;
        }
        long now = System.nanoTime();
        Duration interval = sentSinceSave || copiesChanged || saved == null ? term.settings().checkpointInterval()
            : term.settings().idleCheckpointInterval();
        if (!force && now - lastSaveNanos < interval.toNanos()) {
            return;
        }
        if (!term.leads()) {
            return; // a deposed leader never moves the checkpoint (the store's epoch check enforces it too)
        }
        if (checkpoints.commitsTheRecordsSent() && (copyWorkUnmarked || !awaitEverythingAcknowledged())) {
            return;
        }
        Checkpoint next = new Checkpoint(acknowledged, copies, acknowledgedSequence, term.epoch(), Instant.now());
        at(RelayStatus.Fault.CHECKPOINTS, () -> checkpoints.save(term.relay(), next));
        saved = acknowledged;
        copiesChanged = false;
        sentSinceSave = false;
        lastSaveNanos = now;
        checkpointed = true;
        term.progress().checkpointed(acknowledged, acknowledgedSequence);
    }

    /**
     * For a store that commits the records sent with the checkpoint: waits until everything sent is acknowledged, so
     * that the checkpoint is at the last change sent and the commit makes visible nothing it does not cover (a
     * successor would send that again). False if leadership or the instance ended first.
     */
    private boolean awaitEverythingAcknowledged() {
        while (!inFlight.isEmpty()) {
            if (!term.active()) {
                return false;
            }
            awaitHead(WAIT_SLICE_NANOS);
            drainAcknowledged();
        }
        return true;
    }

    /** Whether the copy progress changed since the last checkpoint (false right after a checkpoint was written). */
    boolean copiesUnsaved() {
        return copiesChanged;
    }

    /** Whether this term wrote a checkpoint. */
    boolean checkpointed() {
        return checkpointed;
    }

    /** Something sent and not yet known acknowledged, or a copy's progress mark that waits behind it. */
    private record Pending(ResumeToken token, long sequence, int events, Change.Refused.Cause deadLetter,
                           CompletableFuture<Void> acked, String copiedSource, CopyProgress copied, Change change) {
    }
}
