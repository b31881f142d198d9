package dev.ferry.engine;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.ferry.core.projection.ParkedEvents;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;

/**
 * One instance of a projection over any transport's {@link PartitionedSubscription}.
 * <ul>
 *   <li>Aggregates of a partition run in parallel, each strictly in order ({@link AggregateLanes}); a partition is
 *       acknowledged only below its lowest unfinished record, after that record's read-model write succeeded.</li>
 *   <li>A failing event is retried with backoff in its aggregate's lane only; after the retry budget it is parked
 *       together with every later event of that aggregate ({@link SequencedParking}); other aggregates go on.</li>
 *   <li>When a dependency's circuit breaker opens, the partitions whose events hit it are paused; the waiting event
 *       probes at the breaker's interval, and all are resumed once a probe succeeds. The polling thread keeps
 *       polling throughout, so the instance keeps its partitions.</li>
 *   <li>Operators' retry and skip requests run in the aggregate's lane ({@link OperatorRequests}).</li>
 * </ul>
 * The parts: {@link SubscriptionLoop} (the polling thread), {@link RunProjector} (a lane's work),
 * {@link PartitionControl} (pauses), {@link SequencedParking}, {@link OperatorRequests}, {@link DependencyBreakers}.
 */
public final class ProjectionProcessor implements AutoCloseable {

    /** Most events of one aggregate handled, and written, together. */
    private static final int MAX_RUN = 500;

    private final Projection projection;
    private final Lifecycle lifecycle = new Lifecycle();
    private final Counters counters = new Counters();
    private final DependencyBreakers breakers;
    private final PartitionControl control;
    private final AggregateLanes<LaneItem> lanes;
    private final PartitionedSubscription subscription;
    private final SubscriptionLoop loop;
    private final Thread pollingThread;

    public ProjectionProcessor(Projection projection, ReadModelWriter writer, ParkedEvents parkedEvents,
                               ProjectorSettings settings, PartitionedSubscription subscription, String instanceId) {
        this.projection = Objects.requireNonNull(projection, "projection");
        Objects.requireNonNull(writer, "writer");
        Objects.requireNonNull(parkedEvents, "parkedEvents");
        Objects.requireNonNull(settings, "settings");
        this.subscription = Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(instanceId, "instanceId");
        this.breakers = new DependencyBreakers(settings.breaker());
        this.control = new PartitionControl(projection.name());
        SequencedParking parking = new SequencedParking(projection.name(), parkedEvents, settings.retry(), lifecycle,
            counters, subscription);
        RunProjector projector = new RunProjector(projection, writer, settings.retry(), breakers, control, parking,
            counters, lifecycle, subscription);
        this.lanes = new AggregateLanes<>(settings.laneThreads(), projection.name() + "-" + instanceId, MAX_RUN,
            projector);
        OperatorRequests requests = new OperatorRequests(projection, parkedEvents, writer, projector, parking, lanes,
            counters);
        this.loop = new SubscriptionLoop(projection.name(), projection.aggregateTypes(), instanceId, subscription,
            settings, lanes, control, parking, requests, lifecycle);
        this.pollingThread = new Thread(loop, "projector-" + projection.name() + "-" + instanceId);
    }

    public void start() {
        pollingThread.start();
    }

    public ProjectorStatus status() {
        return new ProjectorStatus(names(loop.active()), names(control.breakerPaused()), counters.applied.get(),
            counters.duplicates.get(), counters.parked.get(), breakers.states(), loop.lag());
    }

    /** Stops gracefully: finishes what runs, acknowledges it, then hands the partitions over. */
    @Override
    public void close() {
        lifecycle.stop();
        subscription.wakeup();
        join();
        lanes.close();
    }

    /** Dies as a crashed process would: no acknowledgement, no leave; the partitions move once the transport notices. */
    public void kill() {
        lifecycle.kill();
        lanes.close();
        subscription.wakeup();
        join();
    }

    private void join() {
        try {
            pollingThread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Set<String> names(Set<PartitionId> partitions) {
        return partitions.stream().map(PartitionId::toString).collect(Collectors.toCollection(TreeSet::new));
    }
}
