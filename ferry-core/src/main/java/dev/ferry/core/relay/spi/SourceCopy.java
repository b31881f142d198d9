package dev.ferry.core.relay.spi;

import java.util.List;
import java.util.Objects;

/**
 * Reads the documents a source already holds, for a relay that copies before it streams: in an order that keeps
 * each aggregate's (or entity's) versions ascending, in batches, resumable from a position. Memory stays bounded by
 * the batch, whatever the collection's size.
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
