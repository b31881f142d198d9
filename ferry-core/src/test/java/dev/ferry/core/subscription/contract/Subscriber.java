package dev.ferry.core.subscription.contract;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;

/**
 * One instance of a group, standing in for the engine: polls on a thread of its own, finishes every record at once and
 * acknowledges it there (one partition per call, so each answer is known), and acknowledges what it finished when
 * partitions are revoked — unless told to stop acknowledging, as an engine whose handlers hang. It calls its
 * subscription from that thread only, as the engine does, and tells the {@link Ledger} everything.
 */
final class Subscriber implements PartitionedSubscription.Ownership {

    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

    final String id;
    private final PartitionedSubscription subscription;
    private final Set<String> types;
    private final Ledger ledger;
    private final Consumer<PartitionedSubscription> crash;
    /** What it owns as its callbacks told it, and since when. */
    private final Map<PartitionId, Ledger.Stint> stints = new ConcurrentHashMap<>();
    /** Per partition: the position after the last record finished, and the last one accepted (polling thread only). */
    private final Map<PartitionId, Long> finished = new HashMap<>();
    private final Map<PartitionId, Long> accepted = new HashMap<>();
    private final Thread thread;
    private volatile boolean acknowledging = true;
    private volatile boolean running = true;
    private volatile boolean crashing;
    /** Crashed: a client library's callbacks on its way down (Kafka's close calls the rebalance listener) reach no one. */
    private volatile boolean dead;
    private volatile Throwable failure;

    Subscriber(String id, PartitionedSubscription subscription, Set<String> types, Ledger ledger,
               Consumer<PartitionedSubscription> crash) {
        this.id = id;
        this.subscription = subscription;
        this.types = types;
        this.ledger = ledger;
        this.crash = crash;
        this.thread = new Thread(this::run, "contract-" + id);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** The partitions it owns, as its callbacks told it. */
    Set<PartitionId> owned() {
        return Set.copyOf(stints.keySet());
    }

    /** From now on it finishes nothing more: what it is given stays unacknowledged. */
    void stopAcknowledging() {
        acknowledging = false;
    }

    /** Leaves in an orderly way (its partitions revoked, what it finished acknowledged); returns once it has. */
    void leave() {
        stop(false);
    }

    /** Dies: nothing more acknowledged, nothing handed back; returns once its polling thread has ended. */
    void crash() {
        stop(true);
    }

    boolean alive() {
        return thread.isAlive();
    }

    private void stop(boolean crashed) {
        crashing = crashed;
        running = false;
        subscription.wakeup();
        try {
            thread.join(STOP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive()) {
            throw new AssertionError(id + " did not stop within " + STOP_TIMEOUT.toSeconds() + " s");
        }
        if (failure != null) {
            throw new AssertionError(id + "'s subscription failed", failure);
        }
    }

    private void run() {
        try {
            subscription.open(types, this);
            while (running) {
                List<SubscribedRecord> records = subscription.poll(POLL);
                for (SubscribedRecord record : records) {
                    ledger.delivered(id, stints.get(record.partition()), record);
                    finished.merge(record.partition(), record.position() + 1, Math::max);
                }
                Set<PartitionId> owned = subscription.owned();
                if (!owned.equals(stints.keySet())) {
                    ledger.violated(id + ": owned() says " + owned + ", its callbacks said " + stints.keySet());
                }
                if (acknowledging) {
                    acknowledge(List.copyOf(finished.keySet()));
                }
            }
            if (crashing) {
                dead = true;
                ledger.crashed(id); // from here on, whoever gains its partitions next is their only owner
                stints.clear();
                crash.accept(subscription);
            } else {
                subscription.close();
            }
        } catch (Throwable e) {
            failure = e;
            ledger.violated(id + "'s subscription failed: " + e);
        }
    }

    private void acknowledge(Collection<PartitionId> partitions) {
        for (PartitionId partition : partitions) {
            Long next = finished.get(partition);
            if (next == null || next <= accepted.getOrDefault(partition, 0L)) {
                continue;
            }
            if (subscription.acknowledge(Map.of(partition, next))) {
                accepted.put(partition, next);
                ledger.acknowledged(id, partition, next);
            }
        }
    }

    @Override
    public void gained(Collection<PartitionId> partitions) {
        if (dead) {
            return;
        }
        partitions.forEach(partition -> stints.put(partition, ledger.gained(id, partition)));
    }

    @Override
    public void revoked(Collection<PartitionId> partitions) {
        if (dead) {
            return;
        }
        if (acknowledging) {
            acknowledge(partitions);
        }
        forget(partitions, true);
    }

    @Override
    public void lost(Collection<PartitionId> partitions) {
        if (dead) {
            return;
        }
        forget(partitions, false);
    }

    private void forget(Collection<PartitionId> partitions, boolean orderly) {
        for (PartitionId partition : partitions) {
            stints.remove(partition);
            finished.remove(partition);
            accepted.remove(partition);
            ledger.released(id, partition, orderly);
        }
    }
}
