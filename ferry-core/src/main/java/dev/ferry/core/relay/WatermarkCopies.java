package dev.ferry.core.relay;

import static dev.ferry.core.relay.PipelineFailure.at;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;

/**
 * A term's copies by watermarks (Netflix DBLog's algorithm, as Debezium's incremental snapshots use it), run between
 * the stream's batches while the stream goes on, the copied source included. One chunk at a time: a low watermark is
 * written, the chunk is read in a read that sees at least it, a high watermark is written. While the stream moves
 * from the low to the high watermark, every key it changes is dropped from the chunk; at the high watermark the rest
 * of the chunk is published, versioned there. A document is then published either by the stream (its change in the
 * window, or after) or by the chunk at a version no change before it exceeds, so a replica never sees an older state
 * after a newer one, and no snapshot read is needed.
 * <p>
 * A chunk's progress mark waits behind its documents in {@link Acknowledgements}: the checkpoint records the chunk as
 * copied only once they are acknowledged, and a successor continues with the next chunk (a chunk in the middle is
 * read again, under new watermarks). The relay's worker thread only.
 */
final class WatermarkCopies {

    private static final Logger log = LoggerFactory.getLogger(WatermarkCopies.class);
    /** Documents per chunk: the stream waits while one is read, so small enough to keep its latency low. */
    static final int CHUNK_DOCUMENTS = 1_000;
    /** A watermark not back through the stream by then never will be: the stream does not see the collection. */
    private static final long WINDOW_TIMEOUT_NANOS = TimeUnit.MINUTES.toNanos(2);

    private final Term term;
    private final SourceCopy copy;
    private final Acknowledgements acks;
    private final ChangeSender sender;
    /** Each copy's progress as sent, ahead of the acknowledged one. */
    private final Map<String, CopyProgress> sent = new HashMap<>();
    private long chunks;
    /** The chunk between its watermarks; null while none is. */
    private Window window;

    WatermarkCopies(Term term, SourceCopy copy, Acknowledgements acks, ChangeSender sender) {
        this.term = term;
        this.copy = copy;
        this.acks = acks;
        this.sender = sender;
    }

    /** Whether {@code progress} of {@code source} is a copy this class runs: by watermarks, not yet complete. */
    boolean runs(String source, CopyProgress progress) {
        return !progress.complete() && !progress.alongsideStream() && copy.copiesByWatermarks(source);
    }

    /**
     * Between the stream's batches: reads the next chunk (between its two watermarks) of the first copy that has
     * one to read, unless a chunk is still waiting for its high watermark.
     */
    void readNextChunk() {
        if (window != null) {
            if (System.nanoTime() - window.deadline > 0) {
                throw new PipelineFailure(RelayStatus.Fault.SOURCE, new IllegalStateException("the watermarks of "
                    + "the copy of " + window.source + " did not come back through the change stream within "
                    + TimeUnit.NANOSECONDS.toSeconds(WINDOW_TIMEOUT_NANOS) + " s: does the stream see the collection "
                    + "they are written to?"));
            }
            return;
        }
        String source = next();
        if (source == null) {
            return;
        }
        CopyProgress progress = sent.computeIfAbsent(source, acks.copies()::get);
        if (progress.copied() == 0 && progress.position().isEmpty()) {
            log.info("relay {}: copying {} by watermarks while the stream goes on", term.relay(), source);
        }
        String prefix = term.relay() + "/" + term.instanceId() + "/" + term.epoch() + "/" + (++chunks);
        SourceCopy.Watermarks marks = new SourceCopy.Watermarks(term.relay(), prefix + "/low", prefix + "/high");
        SourceCopy.Chunk chunk = at(RelayStatus.Fault.SOURCE,
            () -> copy.readChunk(source, progress.position(), CHUNK_DOCUMENTS, marks));
        window = new Window(source, marks, chunk, System.nanoTime() + WINDOW_TIMEOUT_NANOS);
    }

    /**
     * Takes a watermark read from the stream: this term's low one opens the window, its high one publishes what is
     * left of the chunk and queues the copy's progress behind it; any other (a predecessor's, another relay's) is
     * passed over.
     */
    void reached(Change.Watermark mark) {
        if (window == null) {
            return;
        }
        if (mark.value().equals(window.marks.low())) {
            window.open = true;
        } else if (mark.value().equals(window.marks.high())) {
            Window closed = window;
            window = null;
            if (!closed.open) {
                // Not seen opening (cannot happen in one ordered stream): what changed in between is unknown, so the
                // chunk is read again.
                log.warn("relay {}: the high watermark of a chunk of {} came without its low one; the chunk is read "
                    + "again", term.relay(), closed.source);
                return;
            }
            publish(closed, mark.token());
        }
    }

    /** Takes a change the stream is about to publish: inside the window, its keys are dropped from the chunk. */
    void streamed(Change change) {
        if (window != null && window.open) {
            for (FerryRecord record : change.records()) {
                window.chunk.changedInWindow(record);
            }
        }
    }

    private void publish(Window closed, ResumeToken highWatermark) {
        var changes = at(RelayStatus.Fault.SOURCE, () -> closed.chunk.changes(highWatermark));
        for (Change change : changes) {
            if (!term.active()) {
                return;
            }
            acks.awaitRoom();
            sender.send(change, highWatermark);
        }
        CopyProgress progress = sent.get(closed.source);
        CopyProgress next = progress.advanced(closed.chunk.position(), progress.copied() + changes.size(),
            closed.chunk.done());
        acks.markCopy(highWatermark, closed.source, next);
        sent.put(closed.source, next); // kept once complete: the acknowledged progress may still say otherwise
        if (next.complete()) {
            log.info("relay {}: copy of {} by watermarks done: {} documents", term.relay(), closed.source,
                next.copied());
        }
    }

    /** The first copy by watermarks with a chunk left to read, in the order of the sources. */
    private String next() {
        for (String source : copy.sources()) {
            CopyProgress acknowledged = acks.copies().get(source);
            CopyProgress progress = sent.getOrDefault(source, acknowledged);
            if (acknowledged != null && progress != null && runs(source, progress)) {
                return source;
            }
        }
        return null;
    }

    /** Forgets what was sent of {@code source}'s copy: it starts again (an operator asked for it). */
    void restart(String source) {
        sent.remove(source);
        if (window != null && window.source.equals(source)) {
            window = null;
        }
    }

    /** A chunk read and waiting for its high watermark; {@code open} once the low one came through the stream. */
    private static final class Window {
        private final String source;
        private final SourceCopy.Watermarks marks;
        private final SourceCopy.Chunk chunk;
        private final long deadline;
        private boolean open;

        Window(String source, SourceCopy.Watermarks marks, SourceCopy.Chunk chunk, long deadline) {
            this.source = source;
            this.marks = marks;
            this.chunk = chunk;
            this.deadline = deadline;
        }
    }
}
