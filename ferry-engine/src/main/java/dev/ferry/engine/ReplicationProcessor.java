package dev.ferry.engine;

import java.util.Set;

import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.target.ParkedEvents;

/**
 * One instance of a replicator over any transport's {@link PartitionedSubscription}: the {@link Engine} with a
 * replica writer as the target — the same lanes, runs, retries, sequenced parking, breaker, operator requests and
 * acknowledgement after the write as a projector.
 */
public final class ReplicationProcessor implements AutoCloseable {

    private final Engine<?, ?> engine;

    /**
     * @param name     the consumer group and the parked changes' namespace: one per target, so that one target's
     *                 outage never stalls another's
     * @param entities the entities (topics less their prefix) replicated
     * @param notifier told of each change first, through the breaker; null for none
     */
    public ReplicationProcessor(String name, Set<String> entities, ReplicaWriter writer, ChangeNotifier notifier,
                                ParkedEvents parkedEvents, ProcessorSettings settings,
                                PartitionedSubscription subscription, String instanceId) {
        this.engine = new Engine<>(new ReplicaTarget(name, entities, writer, notifier), parkedEvents, settings,
            subscription, instanceId);
    }

    public void start() {
        engine.start();
    }

    public ProcessorStatus status() {
        return engine.status();
    }

    /** Stops gracefully: finishes what runs, acknowledges it, then hands the partitions over. */
    @Override
    public void close() {
        engine.close();
    }

    /** Dies as a crashed process would: no acknowledgement, no leave. */
    public void kill() {
        engine.kill();
    }
}
