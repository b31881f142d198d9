package dev.ferry.core.replica;

import java.util.List;
import java.util.Optional;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityVersion;

/**
 * Keeps a copy of entities (a replica) in a target database, never going back in time: a change is written only over
 * a lower stored version ({@link dev.ferry.core.event.VersionRule#INCREASING}), so a change delivered late, twice, or
 * out of order is skipped as a duplicate. A delete is written too, as a tombstone carrying its version, so an older
 * create or update arriving after it cannot bring the id back; a later change (a re-create) with a higher version
 * revives the id. Tombstones are removed only by {@link #purgeTombstones()}, once older than the configured retention
 * (set it to the topic's retention: after that no older change of the id can be delivered again).
 */
public interface ReplicaWriter {

    /** What a write did with one change. */
    enum Outcome {
        /** Written: the replica holds this change's version (or a later change of the same batch overwrote it). */
        APPLIED,
        /** The replica already holds this version or a later one: nothing written. */
        DUPLICATE,
        /** An update whose document was deleted before the relay looked it up: nothing to write, the delete follows. */
        NO_DOCUMENT
    }

    /**
     * Writes a batch: changes of several ids, each id's changes in the order they were delivered (which may repeat or
     * go back, as a topic does after a failover). Each change gets the outcome it would get written one after
     * another; a writer may write only the last new state of each id, in one round trip for the batch.
     *
     * @return one outcome per change, in the order given
     * @throws ChangesRejected  if the target refused some ids' changes for what they hold and wrote the others (a
     *                          batch of one id throws the refusal's own cause instead)
     * @throws RuntimeException if the target failed; nothing is known to be written then, and writing the same batch
     *                          again is safe (what did land is reported as duplicates)
     */
    List<Outcome> write(List<EntityChange> changes);

    /** What the replica holds for an id: its version, and whether it is a tombstone; empty if it holds nothing. */
    Optional<StoredVersion> stored(String entity, String id);

    /**
     * Removes the tombstones written longer ago than the retention this writer was configured with; the engine calls
     * it periodically.
     *
     * @return how many were removed
     */
    long purgeTombstones();

    /** @param deleted whether the stored state is a tombstone */
    record StoredVersion(EntityVersion version, boolean deleted) {
    }
}
