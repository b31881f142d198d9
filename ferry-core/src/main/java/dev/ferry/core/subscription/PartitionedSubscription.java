package dev.ferry.core.subscription;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A transport's side of a projector instance: which partitions it owns, their records in partition order, pausing,
 * and acknowledging how far each partition is done. Kafka's consumer group is one implementation; any transport
 * that keeps per-key order within a partition and can move partitions between instances can be another.
 * <p>
 * One thread (the engine's) calls every method except {@link #wakeup()} and {@link #mayWrite}; the
 * {@link Ownership} callbacks run on that thread too, from inside {@link #poll}.
 */
public interface PartitionedSubscription extends AutoCloseable {

    /** Starts taking part in the distribution of the partitions that carry these aggregate types. */
    void open(Set<String> aggregateTypes, Ownership ownership);

    /**
     * Records of owned, unpaused partitions, in order per partition; none after {@code timeout}, or at once after
     * {@link #wakeup()}. A poll that throws has taken nothing: the engine polls again after a backoff, and what was
     * not returned must come again (in order) from a later poll, or from the partition's next owner.
     */
    List<SubscribedRecord> poll(Duration timeout);

    /** The partitions this instance owns now. */
    Set<PartitionId> owned();

    /** Stops delivering records of these partitions (they stay owned). */
    void pause(Collection<PartitionId> partitions);

    /** Delivers records of these partitions again. */
    void resume(Collection<PartitionId> partitions);

    /**
     * Records that everything before {@code next} is done, per partition: after a failover the next owner starts
     * there. Only ever called with the start of the contiguous done prefix.
     *
     * @return false if the transport could not record it now (e.g. a rebalance is under way); the caller keeps
     *         the positions and acknowledges them later, or the next owner gets the records again
     */
    boolean acknowledge(Map<PartitionId, Long> next);

    /**
     * Asked by the engine right before it writes records {@code first..last} of a partition to the read model, from
     * any of its threads: false if this instance must not, because its ownership lapsed (e.g. it was paused past a
     * lease). The records are then left unfinished, for the next owner. A transport may log the write as evidence of
     * who wrote what under which ownership. The version-checked write keeps the read model right either way; this
     * keeps a former owner from writing at all once it can know it is one.
     */
    default boolean mayWrite(PartitionId partition, long first, long last) {
        return true;
    }

    /** Records in owned partitions not yet delivered (the transport's latest view). */
    long lag();

    /** Makes a blocking {@link #poll} return at once; callable from any thread. */
    void wakeup();

    /** Leaves gracefully: the partitions move to other instances now. */
    @Override
    void close();

    /** Leaves as a crashed process would: no acknowledgement, no leave; partitions move once the transport notices. */
    void abandon();

    /** Told of partitions gained and lost, on the polling thread. */
    interface Ownership {

        void gained(Collection<PartitionId> partitions);

        /** Being moved away in an orderly way: acknowledge what is done now, then they are gone. */
        void revoked(Collection<PartitionId> partitions);

        /** Already gone (e.g. this instance was thought dead): nothing can be acknowledged any more. */
        void lost(Collection<PartitionId> partitions);
    }
}
