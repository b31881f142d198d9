package dev.ferry.core.relay.spi;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Where the relay records how far it has published, fenced by the leader's epoch. */
public interface CheckpointStore {

    /** The last checkpoint of this relay, if any. */
    Optional<Checkpoint> load(String relayName);

    /**
     * Records that everything up to the checkpoint is acknowledged by the broker.
     *
     * @throws Fenced if the checkpoint's epoch is no longer the current leadership epoch: a newer leader exists
     */
    void save(String relayName, Checkpoint checkpoint);

    /**
     * How far a relay has published, as one value for every source kind and for both ways of reading a source
     * (copying its existing documents, then streaming its changes), as Kafka Connect and Debezium keep one offset
     * for snapshot and streaming.
     *
     * @param token    the change stream resumes after this
     * @param copies   per source (by name): how far copying its existing documents has got; empty while no source
     *                 is being copied
     * @param sequence records published up to and including {@code token}; the next record gets {@code sequence + 1}
     * @param epoch    the leadership epoch that wrote it: only the current leader's write is accepted
     * @param savedAt  when it was saved (for the checkpoint age shown to operators and for gap records)
     */
    record Checkpoint(ResumeToken token, Map<String, CopyProgress> copies, long sequence, long epoch,
                      Instant savedAt) {

        public Checkpoint {
            Objects.requireNonNull(token, "token");
            copies = Map.copyOf(copies);
            Objects.requireNonNull(savedAt, "savedAt");
        }
    }

    /**
     * Whether {@link #save} also commits, atomically with the checkpoint, every record the term sent since its previous
     * save (a transport's transaction: Kafka's exactly-once mode). The relay then saves only once everything it sent is
     * acknowledged, so the checkpoint covers exactly what the commit makes visible: a successor re-sends nothing that
     * readers of committed records have seen, and what a deposed or crashed leader sent after its last save is never
     * committed.
     */
    default boolean commitsTheRecordsSent() {
        return false;
    }

    /**
     * Operators' requests to copy a source again, not yet taken up by the leader.
     */
    default Set<String> copyRequests(String relayName) {
        return Set.of();
    }

    /**
     * Asks the relay's leader to copy {@code source} again while the others keep streaming.
     *
     * @throws IllegalStateException if the relay has never run
     */
    default void requestCopy(String relayName, String source) {
        throw new UnsupportedOperationException("this checkpoint store takes no copy requests");
    }

    /** The leader took up the request (its copy progress is checkpointed). */
    default void clearCopyRequest(String relayName, String source) {
    }

    /**
     * How far the copy of one source's existing documents has got.
     *
     * @param position where the copy goes on (after the last document copied), opaque to all but the source
     * @param copied   documents copied so far
     * @param complete whether the copy is done and the source is only streamed
     * @param notedAt  for a copy made while the other sources stream: the stream position noted before it, from which
     *                 the source's own changes are caught up once its batches are sent (moved on as the catch-up
     *                 goes, never past where the stream reopens with the source); null for a copy before streaming
     *                 (the checkpoint's token is then that position)
     */
    record CopyProgress(String position, long copied, boolean complete, ResumeToken notedAt) {

        public CopyProgress {
            Objects.requireNonNull(position, "position");
        }

        public CopyProgress(String position, long copied, boolean complete) {
            this(position, copied, complete, null);
        }

        /** Copied while the other sources stream. */
        public boolean alongsideStream() {
            return notedAt != null;
        }

        public CopyProgress advanced(String newPosition, long newCopied, boolean done) {
            return new CopyProgress(newPosition, newCopied, done, notedAt);
        }
    }

    /** A write refused because the writer's epoch is stale. */
    final class Fenced extends RuntimeException {
        public Fenced(String relayName, long epoch) {
            super("relay " + relayName + ": epoch " + epoch + " is no longer the leader's; checkpoint not written");
        }
    }
}
