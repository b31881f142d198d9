package dev.ferry.engine.ownership;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.subscription.PartitionId;

/**
 * One balancing round of one instance (partition-leases.md, "Membership and balance"), decided from what it sees:
 * pure but for the lease reads it is handed, so that the conformance vectors run exactly what
 * {@link LeasedPartitionOwnership} runs, and every member of a mixed Java and Node group decides alike.
 */
final class PartitionBalance {

    /** Partitions by type (UTF-16 code units), then number: the one order every member of a group agrees on. */
    static final Comparator<PartitionId> ORDER = Comparator.comparing(PartitionId::topic)
        .thenComparingInt(PartitionId::number);

    private PartitionBalance() {
    }

    /**
     * An instance's share of a group's {@code U} partitions.
     *
     * @param sorted    the alive instances by id (UTF-16 code units, as JavaScript sorts)
     * @param rank      this instance's place among them
     * @param quota     {@code U / n}, plus one if {@code rank < U % n}: the quotas add up to {@code U}
     * @param firstLook where its search for partitions starts, so that instances go for different ones
     */
    record Share(List<String> sorted, int rank, int quota, int firstLook) {

        static Share of(Collection<String> alive, String self, int partitions) {
            // self is always among the members, even if its own lease was not read yet
            List<String> sorted = Stream.concat(alive.stream(), Stream.of(self))
                .distinct().sorted().toList();
            int rank = sorted.indexOf(self);
            int n = sorted.size();
            return new Share(sorted, rank, partitions / n + (rank < partitions % n ? 1 : 0), rank * partitions / n);
        }
    }

    /**
     * What to do this round.
     *
     * @param release        held partitions to hand back, the last in order first
     * @param stopContending partitions contended for but not held to give up, in order
     * @param contend        partitions to start contending for, in the order looked at
     */
    record Decision(List<PartitionId> release, List<PartitionId> stopContending, List<PartitionId> contend) {
    }

    /**
     * @param alive            the live members, {@code self} among them
     * @param held             partitions whose lease {@code self} holds validly now
     * @param releaseRequested partitions asked back already, not yet handed back
     * @param contending       partitions contended for but not held
     * @param leaseOf          reads a partition's lease (empty when there is no document)
     */
    static Decision decide(List<PartitionId> partitions, Collection<String> alive, String self, List<PartitionId> held,
                           Set<PartitionId> releaseRequested, Collection<PartitionId> contending,
                           Function<PartitionId, Optional<Lease>> leaseOf) {
        List<PartitionId> ordered = partitions.stream().sorted(ORDER).toList();
        int count = ordered.size();
        Share share = Share.of(alive, self, count);
        List<PartitionId> release = List.of();
        if (held.size() > share.quota()) {
            int more = held.size() - share.quota() - releaseRequested.size();
            release = held.stream().sorted(ORDER.reversed()).filter(p -> !releaseRequested.contains(p))
                .limit(Math.max(0, more)).toList();
        }
        // A rival whose owner is alive will hand the partition over itself; stop contending for it. In partition order
        // (not the order the caller keeps them in), so that which ones are kept is the protocol's, not a hash's.
        int open = Math.max(0, share.quota() - held.size());
        List<PartitionId> keep = new ArrayList<>();
        List<PartitionId> stop = new ArrayList<>();
        for (PartitionId partition : contending.stream().sorted(ORDER).toList()) {
            Optional<Lease> lease = leaseOf.apply(partition);
            boolean ownerAlive = lease.map(Lease::owner).filter(o -> !o.equals(self) && share.sorted().contains(o))
                .isPresent();
            if (ownerAlive || keep.size() >= open) {
                stop.add(partition);
            } else {
                keep.add(partition);
            }
        }
        List<PartitionId> contend = new ArrayList<>();
        // Start looking at a place that depends on the rank, so instances go for different partitions.
        for (int i = 0; i < count && keep.size() < open; i++) {
            PartitionId partition = ordered.get((share.firstLook() + i) % count);
            if (held.contains(partition) || keep.contains(partition)) {
                continue; // contended for already
            }
            Optional<Lease> lease = leaseOf.apply(partition);
            // A lease still in this instance's name that it no longer holds (it stepped down, or its release failed) is
            // contended for too: no rival will, since its owner is alive.
            if (lease.isEmpty() || lease.get().owner() == null || lease.get().isHeldBy(self)
                || !share.sorted().contains(lease.get().owner())) {
                contend.add(partition);
                keep.add(partition);
            }
        }
        return new Decision(release, stop, contend);
    }
}
