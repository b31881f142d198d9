package dev.ferry.engine;

import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.target.ParkedEvents;

/**
 * One instance of a projector or a replicator — any {@link LaneTarget} — over any transport's
 * {@link PartitionedSubscription}.
 * <ul>
 *   <li>Aggregates of a partition run in parallel, each strictly in order ({@link AggregateLanes}); under load a
 *       lane thread takes many aggregates' records at once and writes them in one round trip, where the target can
 *       ({@link LaneTarget#writeRuns}); a partition is
 *       acknowledged only below its lowest unfinished record, after that record's write succeeded.</li>
 *   <li>A failing record is retried with backoff in its aggregate's lane only; after the retry budget it is parked
 *       together with every later record of that aggregate ({@link SequencedParking}); other aggregates go on (those
 *       of its own batch are written before any retry waits).</li>
 *   <li>When a dependency's circuit breaker opens, the partitions whose records hit it are paused; the waiting record
 *       probes at the breaker's interval, and all are resumed once a probe succeeds. The polling thread keeps
 *       polling throughout, so the instance keeps its partitions.</li>
 *   <li>Operators' retry and skip requests run in the aggregate's lane ({@link OperatorRequests}).</li>
 * </ul>
 * The parts: {@link SubscriptionLoop} (the polling thread), {@link RunApplier} (a lane's work),
 * {@link PartitionControl} (pauses), {@link SequencedParking}, {@link OperatorRequests}, {@link DependencyBreakers}.
 */
public final class Engine<R, S> implements AutoCloseable {

    /** Most records handled, and written, together: of one aggregate, or of many in one batch. */
    private static final int MAX_BATCH = 500;

    private final Lifecycle lifecycle = new Lifecycle();
    private final Counters counters = new Counters();
    private final DependencyBreakers breakers;
    private final PartitionControl control;
    private final AggregateLanes<LaneItem> lanes;
    private final PartitionedSubscription subscription;
    private final SubscriptionLoop loop;
    private final Thread pollingThread;

    /**
     * @param target       what the lanes do with the records (a projection, a replica)
     * @param parkedEvents where failing records are parked, under the target's name
     * @param instanceId   this instance, for thread names and the transport
     */
    public Engine(LaneTarget<R, S> target, ParkedEvents parkedEvents, ProcessorSettings settings,
                  PartitionedSubscription subscription, String instanceId) {
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(parkedEvents, "parkedEvents");
        Objects.requireNonNull(settings, "settings");
        this.subscription = Objects.requireNonNull(subscription, "subscription");
        Objects.requireNonNull(instanceId, "instanceId");
        this.breakers = new DependencyBreakers(settings.breaker());
        this.control = new PartitionControl(target.name());
        SequencedParking<R> parking = new SequencedParking<>(target, parkedEvents, settings.retry(), lifecycle,
            counters, subscription);
        RunApplier<R, S> applier = new RunApplier<>(target, settings.retry(), breakers, control, parking, counters,
            lifecycle, subscription);
        this.lanes = new AggregateLanes<>(settings.laneThreads(), target.name() + "-" + instanceId, MAX_BATCH, applier);
        OperatorRequests<R> requests = new OperatorRequests<>(target, parkedEvents, applier, parking, lanes, counters);
        this.loop = new SubscriptionLoop(target.name(), target.types(), instanceId, subscription, settings, lanes,
            control, parking, requests, lifecycle);
        this.pollingThread = new Thread(loop, "engine-" + target.name() + "-" + instanceId);
    }

    public void start() {
        pollingThread.start();
    }

    public ProcessorStatus status() {
        PollingHealth.State health = loop.health().state();
        return new ProcessorStatus(names(loop.active()), names(control.breakerPaused()), counters.applied.get(),
            counters.duplicates.get(), counters.parked.get(), breakers.states(), loop.lag(), loop.waitingSince(),
            health.failure(), health.failingSince(), health.ended());
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
