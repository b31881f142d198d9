package dev.ferry.core.relay.spi;

import java.util.List;
import java.util.Objects;

import dev.ferry.core.event.FerryRecord;

/**
 * Reads the documents a source already holds, for a relay that copies them: in an order that keeps each aggregate's
 * (or entity's) versions ascending, in batches ({@link #next}: before streaming, or while the other sources stream)
 * or in chunks between watermarks ({@link #readChunk}: while the source itself streams), resumable from a position.
 * Memory stays bounded by the batch, whatever the collection's size.
 */
public interface SourceCopy {

    /** Every source that can be copied, in the order they are copied. */
    List<String> sources();

    /**
     * The sources copied before streaming the first time a relay leads (no checkpoint yet); the others are copied
     * only when asked ({@code relay.start: earliest}, the RECOPY policy, an operator's request).
     */
    default List<String> copiedFirst() {
        return sources();
    }

    /**
     * Checks, before the relay starts, that each of {@code sources} can be copied in its order (e.g. that the index
     * the copy reads through exists), creating what is Ferry's own to create.
     *
     * @throws NotReady naming the source and what to do, in one line
     */
    default void prepare(List<String> sources) {
    }

    /**
     * The next documents of {@code source} after {@code position}.
     *
     * @param position  where the last batch ended; {@code ""} for the start
     * @param stamp     the token every copied change carries, where acknowledging it puts the relay: the stream
     *                  position noted before the copy (a copy before streaming), or where the relay is (a copy
     *                  while the other sources stream)
     * @param notedAt   the stream position noted before the copy began: everything the copy reads is at least this
     *                  recent, so versions taken from a position (an entity's) are this one's, never a later one
     * @param maxChanges most changes returned
     * @return the changes (possibly fewer than asked) and where they end; {@link CopyBatch#done()} once nothing is left
     */
    CopyBatch next(String source, String position, ResumeToken stamp, ResumeToken notedAt, int maxChanges);

    /**
     * Whether {@code source} is copied by watermarks, alongside its own stream (Netflix DBLog's algorithm): chunk by
     * chunk, each read between a low and a high watermark the relay writes into the stream, its documents published
     * at the high watermark, versioned there, except those the stream changed in between. A source whose records
     * are its state (entities) is; a source whose records are a history (commits, mapped events) is not: the stream
     * would publish an aggregate's new events before the copy reached its older ones, so it is held out of the
     * stream while copied, then caught up.
     */
    default boolean copiesByWatermarks(String source) {
        return false;
    }

    /**
     * For a copy by watermarks: writes {@code marks.low()} into the stream, reads the next documents of
     * {@code source} after {@code position} in a read that sees at least that watermark, then writes
     * {@code marks.high()}. Both come back through the stream as {@link Change.Watermark}s; the relay's earlier
     * watermarks are removed.
     *
     * @param position     where the last chunk ended; {@code ""} for the start
     * @param maxDocuments most documents read
     */
    default Chunk readChunk(String source, String position, int maxDocuments, Watermarks marks) {
        throw new UnsupportedOperationException(source + " is not copied by watermarks");
    }

    /** The two watermarks around one chunk, and the relay writing them. */
    record Watermarks(String relay, String low, String high) {
        public Watermarks {
            Objects.requireNonNull(relay, "relay");
            Objects.requireNonNull(low, "low");
            Objects.requireNonNull(high, "high");
        }
    }

    /** Documents read between two watermarks; they become changes only at the high one. */
    interface Chunk {

        /**
         * A record the stream published after the chunk was read and before its high watermark: the chunk's document
         * of the same key is left out (the stream carries that key's state, as new as the chunk's read or newer).
         */
        void changedInWindow(FerryRecord record);

        /**
         * The documents not changed in the window, as changes versioned at the high watermark, each carrying
         * {@code highWatermark} as its token.
         */
        List<Change> changes(ResumeToken highWatermark);

        /** Where the chunk ended (after its last document, whether left out or not). */
        String position();

        /** Whether nothing is left after it. */
        boolean done();
    }

    /** One batch of a copy. */
    record CopyBatch(List<Change> changes, String position, boolean done) {
        public CopyBatch {
            changes = List.copyOf(changes);
            Objects.requireNonNull(position, "position");
        }
    }

    /** A source that cannot be copied as it is; the message says what to do. */
    final class NotReady extends RuntimeException {
        public NotReady(String message) {
            super(message, null, false, false);
        }
    }

    /** No source is copied: the relay only streams. */
    SourceCopy NONE = new SourceCopy() {
        @Override
        public List<String> sources() {
            return List.of();
        }

        @Override
        public CopyBatch next(String source, String position, ResumeToken stamp, ResumeToken notedAt, int maxChanges) {
            throw new IllegalStateException("nothing to copy");
        }
    };
}
