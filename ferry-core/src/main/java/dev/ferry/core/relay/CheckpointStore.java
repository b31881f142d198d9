package dev.ferry.core.relay;

import java.time.Instant;
import java.util.Optional;

/** Where the relay records how far it has published, fenced by the leader's epoch. */
public interface CheckpointStore {

    /** The last checkpoint of this relay, if any. */
    Optional<Checkpoint> load(String relayName);

    /**
     * Records that every change up to {@code token} is acknowledged by the broker.
     *
     * @param sequence how many events the relay has published up to and including {@code token}, over all terms
     * @throws Fenced if {@code epoch} is no longer the current leadership epoch: a newer leader exists
     */
    void save(String relayName, long epoch, ResumeToken token, long sequence);

    /**
     * A saved position.
     *
     * @param token    resume after this
     * @param sequence events published up to and including {@code token}; the next event gets {@code sequence + 1}
     * @param savedAt  when it was saved (for the checkpoint age shown to operators and for gap records)
     */
    record Checkpoint(ResumeToken token, long sequence, Instant savedAt) {
    }

    /** A write refused because the writer's epoch is stale. */
    final class Fenced extends RuntimeException {
        public Fenced(String relayName, long epoch) {
            super("relay " + relayName + ": epoch " + epoch + " is no longer the leader's; checkpoint not written");
        }
    }
}
