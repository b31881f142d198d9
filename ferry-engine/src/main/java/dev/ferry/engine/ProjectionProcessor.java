package dev.ferry.engine;

import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.target.ParkedEvents;

/**
 * One instance of a projection over any transport's {@link PartitionedSubscription}: the {@link Engine} with the
 * projection's handlers and its version-checked read-model writer as the target.
 */
public final class ProjectionProcessor implements AutoCloseable {

    private final Engine<?, ?> engine;

    public ProjectionProcessor(Projection projection, ReadModelWriter writer, ParkedEvents parkedEvents,
                               ProcessorSettings settings, PartitionedSubscription subscription, String instanceId) {
        this.engine = new Engine<>(new ProjectionTarget(projection, writer), parkedEvents, settings, subscription,
            instanceId);
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

    /** Dies as a crashed process would: no acknowledgement, no leave; the partitions move once the transport notices. */
    public void kill() {
        engine.kill();
    }
}
