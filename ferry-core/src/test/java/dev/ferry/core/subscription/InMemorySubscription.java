package dev.ferry.core.subscription;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import dev.ferry.core.subscription.InMemoryBroker.Fault;
import dev.ferry.core.subscription.InMemoryBroker.Stored;

/**
 * One member of a group of an {@link InMemoryBroker}: at every poll it hands back what the assignment moved away
 * (revoked, so the engine acknowledges first), takes what is assigned to it and free, then delivers its owned,
 * unpaused partitions from their positions.
 */
final class InMemorySubscription implements PartitionedSubscription {

    private final InMemoryBroker broker;
    private final String group;
    /** Owned partitions and the position of the next record to deliver; under the broker's lock. */
    private final Map<PartitionId, Long> positions = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
    private final Set<PartitionId> paused = new HashSet<>();
    /** {@link Fault#REORDERS_A_KEY}: each key's first record, held back until its second is delivered. */
    private final Map<String, SubscribedRecord> withheld = new HashMap<>();
    private final Set<String> keysSeen = new HashSet<>();
    private final List<PartitionId> partitions = new ArrayList<>();
    private Ownership ownership;
    private volatile boolean woken;

    InMemorySubscription(InMemoryBroker broker, String group) {
        this.broker = broker;
        this.group = group;
    }

    @Override
    public void open(Set<String> aggregateTypes, Ownership ownership) {
        broker.lock.lock();
        try {
            this.ownership = ownership;
            for (String type : aggregateTypes) {
                for (int n = 0; n < InMemoryBroker.PARTITIONS; n++) {
                    partitions.add(new PartitionId(type, n));
                }
            }
            broker.join(group, this);
        } finally {
            broker.lock.unlock();
        }
    }

    @Override
    public List<SubscribedRecord> poll(Duration timeout) {
        broker.lock.lock();
        try {
            long nanos = timeout.toNanos();
            while (true) {
                followAssignment();
                List<SubscribedRecord> records = deliver();
                if (!records.isEmpty() || woken || nanos <= 0) {
                    woken = false;
                    return records;
                }
                nanos = broker.awaitChange(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } finally {
            broker.lock.unlock();
        }
    }

    private void followAssignment() {
        List<PartitionId> revoked = positions.keySet().stream().filter(p -> !broker.assigned(group, p, this)).toList();
        if (!revoked.isEmpty()) {
            ownership.revoked(revoked); // still owned: what is done can be acknowledged
            revoked.forEach(p -> {
                positions.remove(p);
                broker.release(group, p, this);
            });
        }
        List<PartitionId> gained = new ArrayList<>();
        for (PartitionId partition : partitions) {
            if (!positions.containsKey(partition) && broker.assigned(group, partition, this)) {
                long start = broker.take(group, partition, this);
                if (start >= 0) {
                    positions.put(partition, start);
                    gained.add(partition);
                }
            }
        }
        if (!gained.isEmpty()) {
            ownership.gained(gained);
        }
    }

    private List<SubscribedRecord> deliver() {
        List<SubscribedRecord> records = new ArrayList<>();
        for (Map.Entry<PartitionId, Long> owned : positions.entrySet()) {
            PartitionId partition = owned.getKey();
            if (paused.contains(partition)) {
                continue;
            }
            long position = owned.getValue();
            for (Stored stored : broker.read(partition, position)) {
                records.add(new SubscribedRecord(partition, position++, partition.topic(), stored.key(), stored.value()));
            }
            owned.setValue(position);
            if (broker.fault == Fault.ACKNOWLEDGES_ON_DELIVERY) {
                broker.acknowledge(group, partition, position);
            }
        }
        return broker.fault == Fault.REORDERS_A_KEY ? reordered(records) : records;
    }

    private List<SubscribedRecord> reordered(List<SubscribedRecord> records) {
        List<SubscribedRecord> out = new ArrayList<>();
        for (SubscribedRecord record : records) {
            if (keysSeen.add(record.key())) {
                withheld.put(record.key(), record);
            } else {
                out.add(record);
                SubscribedRecord first = withheld.remove(record.key());
                if (first != null) {
                    out.add(first);
                }
            }
        }
        return out;
    }

    @Override
    public Set<PartitionId> owned() {
        broker.lock.lock();
        try {
            return Set.copyOf(positions.keySet());
        } finally {
            broker.lock.unlock();
        }
    }

    @Override
    public void pause(Collection<PartitionId> partitions) {
        broker.lock.lock();
        try {
            paused.addAll(partitions);
        } finally {
            broker.lock.unlock();
        }
    }

    @Override
    public void resume(Collection<PartitionId> partitions) {
        broker.lock.lock();
        try {
            paused.removeAll(partitions);
        } finally {
            broker.lock.unlock();
        }
    }

    @Override
    public boolean acknowledge(Map<PartitionId, Long> next) {
        broker.lock.lock();
        try {
            boolean all = true;
            for (Map.Entry<PartitionId, Long> entry : next.entrySet()) {
                if (positions.containsKey(entry.getKey())) {
                    broker.acknowledge(group, entry.getKey(), entry.getValue());
                } else {
                    all = false;
                }
            }
            return all;
        } finally {
            broker.lock.unlock();
        }
    }

    @Override
    public long lag() {
        broker.lock.lock();
        try {
            return positions.entrySet().stream().mapToLong(e -> broker.end(e.getKey()) - e.getValue()).sum();
        } finally {
            broker.lock.unlock();
        }
    }

    @Override
    public void wakeup() {
        woken = true;
        broker.signal();
    }

    /** Hands everything back: revoked first, so the engine acknowledges what it finished. */
    @Override
    public void close() {
        broker.lock.lock();
        try {
            if (ownership == null) {
                return;
            }
            if (!positions.isEmpty()) {
                ownership.revoked(List.copyOf(positions.keySet()));
            }
            positions.clear();
            broker.leave(group, this);
        } finally {
            broker.lock.unlock();
        }
    }

    /** Gone at once, acknowledging nothing: the next owner starts at what was acknowledged. */
    @Override
    public void abandon() {
        broker.lock.lock();
        try {
            if (ownership != null) {
                positions.clear();
                broker.leave(group, this);
            }
        } finally {
            broker.lock.unlock();
        }
    }
}
