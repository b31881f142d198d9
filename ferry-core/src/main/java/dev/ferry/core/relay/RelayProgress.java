package dev.ferry.core.relay;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a relay instance has got done, as its status and the headroom gauges show it: records acknowledged and
 * dead-lettered, the last checkpoint, since when changes wait, and the leader's last acknowledged and checkpointed
 * positions. Written by the relay's worker thread, read by any.
 */
final class RelayProgress {

    private final AtomicLong published = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong oversized = new AtomicLong();
    private final PipelineRestarts restarts;
    private volatile long checkpointSequence = -1;
    /** Since when changes wait unacknowledged (or the pipeline fails); null while nothing waits. */
    private volatile Instant waitingSince;
    /** The leader's last acknowledged position and last checkpointed one, for the headroom gauges; null otherwise. */
    private volatile ResumeToken lastAcknowledged;
    private volatile ResumeToken lastCheckpointed;

    /** @param restarts told when something is acknowledged, so that failures before it are no longer in a row */
    RelayProgress(PipelineRestarts restarts) {
        this.restarts = restarts;
    }

    /** A term starts from {@code checkpointed} (null: from now, after lost history). */
    void termStarts(ResumeToken checkpointed) {
        lastAcknowledged = checkpointed;
        lastCheckpointed = checkpointed;
    }

    /** This instance stands by: the positions and the wait are the leader's to report. */
    void standsBy() {
        waitingSince = null;
        lastAcknowledged = null;
        lastCheckpointed = null;
    }

    /** {@code events} records (0 for a dead letter) were acknowledged, up to {@code position}. */
    void acknowledged(ResumeToken position, int events, Change.Refused.Cause deadLetter) {
        lastAcknowledged = position;
        published.addAndGet(events);
        if (deadLetter != null) {
            deadLettered.incrementAndGet();
            if (deadLetter == Change.Refused.Cause.OVERSIZED) {
                oversized.incrementAndGet();
            }
        }
    }

    /** Nothing is in flight and the quiet source's position moved on to {@code position}. */
    void movedTo(ResumeToken position) {
        lastAcknowledged = position;
    }

    /** The acknowledged position moved; {@code stillWaiting}: more is in flight behind it. */
    void progressed(boolean stillWaiting) {
        restarts.progressed();
        waitingSince = stillWaiting ? Instant.now() : null;
    }

    void checkpointed(ResumeToken position, long sequence) {
        lastCheckpointed = position;
        checkpointSequence = sequence;
    }

    /** Something waits from now on, unless something waited already. */
    void waiting(Instant now) {
        if (waitingSince == null) {
            waitingSince = now;
        }
    }

    /** Read to the end and everything acknowledged: nothing waits. */
    void nothingWaits() {
        waitingSince = null;
    }

    long published() {
        return published.get();
    }

    long deadLettered() {
        return deadLettered.get();
    }

    long oversized() {
        return oversized.get();
    }

    long checkpointSequence() {
        return checkpointSequence;
    }

    Instant waitingSince() {
        return waitingSince;
    }

    ResumeToken lastAcknowledged() {
        return lastAcknowledged;
    }

    ResumeToken lastCheckpointed() {
        return lastCheckpointed;
    }
}
