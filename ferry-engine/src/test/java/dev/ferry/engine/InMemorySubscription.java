package dev.ferry.engine;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;

/** A transport in memory: owns every partition it is given records for, and remembers what was acknowledged. */
final class InMemorySubscription implements PartitionedSubscription {

    private static final SubscribedRecord WAKE_UP = new SubscribedRecord(new PartitionId("wake-up", 0), 0, "", "", null);

    private final LinkedBlockingQueue<SubscribedRecord> pending = new LinkedBlockingQueue<>();
    private final Set<PartitionId> owned = ConcurrentHashMap.newKeySet();
    final Map<PartitionId, Long> acknowledged = new ConcurrentHashMap<>();
    /** Partitions whose ownership lapsed: the engine may not write their records. */
    final Set<PartitionId> lapsed = ConcurrentHashMap.newKeySet();
    /** Every position whose write (read model or parking) was refused because its partition lapsed. */
    final Map<PartitionId, Set<Long>> refused = new ConcurrentHashMap<>();
    private Ownership ownership;
    volatile boolean closed;
    /** While set, every poll fails before taking anything (as a transport that cannot reach its broker). */
    final AtomicBoolean pollsFail = new AtomicBoolean();
    /** If set, open fails with it. */
    volatile RuntimeException openFails;
    final AtomicInteger polls = new AtomicInteger();

    void deliver(List<SubscribedRecord> records) {
        pending.addAll(records);
    }

    @Override
    public void open(Set<String> aggregateTypes, Ownership ownership) {
        if (openFails != null) {
            throw openFails;
        }
        this.ownership = ownership;
    }

    @Override
    public List<SubscribedRecord> poll(Duration timeout) {
        polls.incrementAndGet();
        if (pollsFail.get()) {
            throw new IllegalStateException("the broker does not answer (test)");
        }
        List<SubscribedRecord> records = new ArrayList<>();
        try {
            SubscribedRecord first = pending.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (first != null) {
                records.add(first);
                pending.drainTo(records);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        records.removeIf(record -> record == WAKE_UP);
        List<PartitionId> gained = records.stream().map(SubscribedRecord::partition).filter(owned::add).distinct().toList();
        if (!gained.isEmpty()) {
            ownership.gained(gained);
        }
        return records;
    }

    @Override
    public boolean mayWrite(PartitionId partition, long first, long last) {
        if (!lapsed.contains(partition)) {
            return true;
        }
        Set<Long> positions = refused.computeIfAbsent(partition, p -> ConcurrentHashMap.newKeySet());
        for (long position = first; position <= last; position++) {
            positions.add(position);
        }
        return false;
    }

    /** True once a write of every one of these positions of the partition has been refused. */
    boolean refusedAll(PartitionId partition, long firstPosition, long lastPosition) {
        Set<Long> positions = refused.getOrDefault(partition, Set.of());
        for (long position = firstPosition; position <= lastPosition; position++) {
            if (!positions.contains(position)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public Set<PartitionId> owned() {
        return Set.copyOf(owned);
    }

    @Override
    public void pause(Collection<PartitionId> partitions) {
        // everything is delivered at once in these tests
    }

    @Override
    public void resume(Collection<PartitionId> partitions) {
    }

    @Override
    public boolean acknowledge(Map<PartitionId, Long> next) {
        acknowledged.putAll(next);
        return true;
    }

    @Override
    public long lag() {
        return pending.size();
    }

    @Override
    public void wakeup() {
        pending.add(WAKE_UP);
    }

    @Override
    public void close() {
        closed = true;
    }

    @Override
    public void abandon() {
        closed = true;
    }
}
