package dev.ferry.core.subscription;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A transport in memory with Kafka's shape, to run the transport contract against: each type has
 * {@link #PARTITIONS} partitions of records; a group's members share its partitions round-robin, a partition moving
 * only once its owner has handed it back (or died), its next owner starting at the group's acknowledged position.
 * Correct, or broken on purpose by one {@link Fault}, to show that the contract fails a transport that breaks a rule.
 * Everything happens under one lock; waiting members are woken by every change.
 */
final class InMemoryBroker {

    static final int PARTITIONS = 4;

    /** One rule broken on purpose. */
    enum Fault {
        NONE,
        /** The subscription acknowledges what it delivers, before the handler ran. */
        ACKNOWLEDGES_ON_DELIVERY,
        /** A new owner starts from the partition's beginning, not from what was acknowledged. */
        FORGETS_ACKNOWLEDGEMENTS,
        /** A key's first record is held back and delivered after its second. */
        REORDERS_A_KEY,
        /** Every member owns every partition. */
        SHARES_PARTITIONS,
        /** The publisher sends records of the reserved dead-letter type. */
        ACCEPTS_RESERVED_TYPES
    }

    /** A stored record; its position is its index in the partition. */
    record Stored(String key, byte[] value) {
    }

    /** A group: its members in order of joining, who holds which partition, what was acknowledged. */
    private static final class Group {
        final List<InMemorySubscription> members = new ArrayList<>();
        final Map<PartitionId, InMemorySubscription> holders = new HashMap<>();
        final Map<PartitionId, Long> acknowledged = new HashMap<>();
    }

    final Fault fault;
    final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<String, List<List<Stored>>> types = new HashMap<>();
    private final Map<String, Group> groups = new HashMap<>();
    final List<String> deadLetters = new ArrayList<>();

    InMemoryBroker(Fault fault) {
        this.fault = fault;
    }

    void append(String type, int partition, Stored record) {
        lock.lock();
        try {
            partitionsOf(type).get(partition).add(record);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    void deadLetter(String reason) {
        lock.lock();
        try {
            deadLetters.add(reason);
        } finally {
            lock.unlock();
        }
    }

    /** The records of a partition from {@code position} on. */
    List<Stored> read(PartitionId partition, long position) {
        List<Stored> records = partitionsOf(partition.topic()).get(partition.number());
        return List.copyOf(records.subList((int) Math.min(position, records.size()), records.size()));
    }

    long end(PartitionId partition) {
        return partitionsOf(partition.topic()).get(partition.number()).size();
    }

    private List<List<Stored>> partitionsOf(String type) {
        return types.computeIfAbsent(type, t -> {
            List<List<Stored>> partitions = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                partitions.add(new ArrayList<>());
            }
            return partitions;
        });
    }

    void join(String group, InMemorySubscription member) {
        groups.computeIfAbsent(group, g -> new Group()).members.add(member);
        changed.signalAll();
    }

    /** Leaves the group (gracefully or dead): what it held is free for the next owner. */
    void leave(String group, InMemorySubscription member) {
        Group g = groups.get(group);
        g.members.remove(member);
        g.holders.values().removeIf(member::equals);
        changed.signalAll();
    }

    /** Whether the group's assignment gives {@code partition} to {@code member}. */
    boolean assigned(String group, PartitionId partition, InMemorySubscription member) {
        Group g = groups.get(group);
        if (!g.members.contains(member)) {
            return false;
        }
        if (fault == Fault.SHARES_PARTITIONS) {
            return true;
        }
        return g.members.get(partition.number() % g.members.size()) == member; // round-robin
    }

    /** Takes a partition if it is free; returns the position to start at, or -1. */
    long take(String group, PartitionId partition, InMemorySubscription member) {
        Group g = groups.get(group);
        InMemorySubscription holder = g.holders.get(partition);
        if (holder != null && holder != member && fault != Fault.SHARES_PARTITIONS) {
            return -1;
        }
        g.holders.put(partition, member);
        changed.signalAll();
        return fault == Fault.FORGETS_ACKNOWLEDGEMENTS ? 0 : g.acknowledged.getOrDefault(partition, 0L);
    }

    void release(String group, PartitionId partition, InMemorySubscription member) {
        groups.get(group).holders.remove(partition, member);
        changed.signalAll();
    }

    void acknowledge(String group, PartitionId partition, long next) {
        groups.get(group).acknowledged.merge(partition, next, Math::max);
    }

    /** Waits (under the lock) for any change, at most {@code nanos}; returns what is left of it. */
    long awaitChange(long nanos) throws InterruptedException {
        return changed.awaitNanos(nanos);
    }

    void signal() {
        lock.lock();
        try {
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }
}
