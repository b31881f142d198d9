package dev.ferry.core.relay;

import static dev.ferry.core.relay.PipelineFailure.at;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
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
 * written, the chunk is read in a read that sees at least it, a high watermark is written. From the read until the
 * stream reaches the high watermark, every key the stream changes is dropped from the chunk; at the high watermark the
 * rest of the chunk is published, versioned there. A document is then published either by the stream or by the chunk
 * at a version no earlier change exceeds, so a replica never sees an older state after a newer one, and no snapshot
 * read is needed.
 * <p>
 * DBLog drops only the keys changed between the two watermarks. Here the window opens at the read, earlier in the
 * stream: an update read with the update lookup carries the document as it is when the stream reads the event, so an
 * update made before the low watermark, but read after the chunk, can carry a state newer than the chunk's. Dropping
 * its key is safe: each key's last change before the read is read after it, with that state or a newer one.
 * <p>
 * A chunk's progress mark waits behind its documents in {@link Acknowledgements}: the checkpoint records the chunk as
 * copied only once they are acknowledged, and a successor continues with the next chunk (a chunk in the middle is
 * read again, under new watermarks). The relay's worker thread only.
 */
final class WatermarkCopies {

    private static final Logger log = LoggerFactory.getLogger(WatermarkCopies.class);
    /** Documents per chunk: the stream waits while one is read, so small enough to keep its latency low. */
    static final int CHUNK_DOCUMENTS = 1_000;
    /**
     * How long a chunk waits for its high watermark before the relay says so (and again as long again): a stream far
     * behind the oplog's head takes that long; one that does not see the watermarks' collection never gets there.
     */
    private static final long WINDOW_WARNING_NANOS = TimeUnit.MINUTES.toNanos(2);

    private final Term term;
    private final SourceCopy copy;
    private final Acknowledgements acks;
    private final ChangeSender sender;
    /**
     * Makes this term's watermarks its own: a term restarted in the same epoch (after a failure) counts its chunks
     * from 1 again, and must not take its predecessor's watermarks, still ahead in the stream, for its own.
     */
    private final String termId = Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
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
        // a checkpoint may hold the copy of a source since removed from the configuration: not this class's to run
        return !progress.complete() && !progress.alongsideStream() && copy.sources().contains(source)
            && copy.copiesByWatermarks(source);
    }

    /**
     * Between the stream's batches: reads the next chunk (between its two watermarks) of the first copy that has
     * one to read, unless a chunk is still waiting for its high watermark.
     */
    void readNextChunk() {
        if (window != null) {
            long now = System.nanoTime();
            if (now - window.warnAt > 0) {
                // Not a failure: restarting would read the stream from the checkpoint again, no nearer to the mark.
                log.warn("relay {}: the high watermark of a chunk of {}'s copy has not come back through the change "
                    + "stream for {} s: the stream is far behind, or does not see {}", term.relay(), window.source,
                    TimeUnit.NANOSECONDS.toSeconds(now - window.readAt), window.marks.high());
                window.warnAt = now + WINDOW_WARNING_NANOS;
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
        String prefix = term.relay() + "/" + term.instanceId() + "/" + term.epoch() + "/" + termId + "/" + (++chunks);
        SourceCopy.Watermarks marks = new SourceCopy.Watermarks(term.relay(), prefix + "/low", prefix + "/high");
        SourceCopy.Chunk chunk = at(RelayStatus.Fault.SOURCE,
            () -> copy.readChunk(source, progress.position(), CHUNK_DOCUMENTS, marks));
        long readAt = System.nanoTime();
        window = new Window(source, marks, chunk, readAt, readAt + WINDOW_WARNING_NANOS);
    }

    /**
     * Takes a watermark read from the stream: this term's high one publishes what is left of the chunk and queues the
     * copy's progress behind it; any other (its low one, a predecessor's, another relay's) is passed over.
     */
    void reached(Change.Watermark mark) {
        if (window != null && mark.value().equals(window.marks.high())) {
            Window closed = window;
            window = null;
            publish(closed, mark.token());
        }
    }

    /** Takes a change the stream is about to publish: while a chunk waits, its keys are dropped from the chunk. */
    void streamed(Change change) {
        if (window != null) {
            for (FerryRecord record : change.records()) {
                window.chunk.changedInWindow(record);
            }
        }
    }

    private void publish(Window closed, ResumeToken highWatermark) {
        var changes = at(RelayStatus.Fault.SOURCE, () -> closed.chunk.changes(highWatermark));
        acks.copyWorkBegins();
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

    /** The first copy by watermarks with a chunk left to read. */
    private String next() {
        // Runs after every batch of the stream: walks the copies the checkpoint holds (in the order they were
        // begun), cheapest test first, rather than asking the source for its list each time.
        for (Map.Entry<String, CopyProgress> acknowledged : acks.copies().entrySet()) {
            String source = acknowledged.getKey();
            if (runs(source, sent.getOrDefault(source, acknowledged.getValue()))) {
                return source;
            }
        }
        return null;
    }

    /**
     * Forgets what was sent of a complete copy of {@code source}: it starts again (an operator asked for it; a copy
     * still running is not restarted).
     */
    void restart(String source) {
        sent.remove(source);
    }

    /** A chunk read and waiting for its high watermark. */
    private static final class Window {
        private final String source;
        private final SourceCopy.Watermarks marks;
        private final SourceCopy.Chunk chunk;
        private final long readAt;
        private long warnAt;

        Window(String source, SourceCopy.Watermarks marks, SourceCopy.Chunk chunk, long readAt, long warnAt) {
            this.source = source;
            this.marks = marks;
            this.chunk = chunk;
            this.readAt = readAt;
            this.warnAt = warnAt;
        }
    }
}
