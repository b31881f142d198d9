package dev.ferry.engine;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;

/**
 * The instance's one polling thread: the only one that touches the subscription. It hands records to their
 * aggregates' lanes, applies pauses, acknowledges each partition's contiguous done prefix at the acknowledgement
 * interval, looks for operators' requests, and follows partitions gained and lost.
 */
final class SubscriptionLoop implements Runnable, PartitionedSubscription.Ownership {

    private static final Logger log = LoggerFactory.getLogger(SubscriptionLoop.class);
    private static final Duration POLL = Duration.ofMillis(100);

    private final String projection;
    private final Set<String> aggregateTypes;
    private final String instanceId;
    private final PartitionedSubscription subscription;
    private final ProcessorSettings settings;
    private final AggregateLanes<LaneItem> lanes;
    private final PartitionControl control;
    private final SequencedParking<?> parking;
    private final OperatorRequests<?> requests;
    private final Lifecycle lifecycle;
    /** Partitions with records handed to lanes in the current ownership, and how far each is done. */
    private final Map<PartitionId, PartitionOffsets> partitions = new ConcurrentHashMap<>();
    private volatile long lag;
    private final PollingHealth health;
    private long nextAcknowledge;
    private long nextRequests;

    SubscriptionLoop(String projection, Set<String> aggregateTypes, String instanceId,
                     PartitionedSubscription subscription, ProcessorSettings settings, AggregateLanes<LaneItem> lanes,
                     PartitionControl control, SequencedParking<?> parking, OperatorRequests<?> requests, Lifecycle lifecycle) {
        this.projection = projection;
        this.aggregateTypes = aggregateTypes;
        this.instanceId = instanceId;
        this.subscription = subscription;
        this.settings = settings;
        this.lanes = lanes;
        this.control = control;
        this.parking = parking;
        this.requests = requests;
        this.lifecycle = lifecycle;
        this.health = new PollingHealth(Clock.systemUTC(), System::nanoTime, settings.pollingGivesUpAfter());
    }

    Set<PartitionId> active() {
        return partitions.keySet();
    }

    long lag() {
        return lag;
    }

    /** The oldest of the owned partitions' {@link PartitionOffsets#waitingSince}; null while none has records waiting. */
    Instant waitingSince() {
        Instant oldest = null;
        for (PartitionOffsets offsets : partitions.values()) {
            Instant since = offsets.waitingSince();
            if (since != null && (oldest == null || since.isBefore(oldest))) {
                oldest = since;
            }
        }
        return oldest;
    }

    PollingHealth health() {
        return health;
    }

    @Override
    public void run() {
        try {
            control.bind(subscription);
            subscription.open(aggregateTypes, this);
            refreshParked();
            while (lifecycle.running()) {
                try {
                    if (!pass()) {
                        break; // woken by close() or kill(): what was just polled is re-delivered to the next owner
                    }
                    health.passed();
                } catch (RuntimeException e) {
                    if (!lifecycle.running()) {
                        break;
                    }
                    // Records polled are in the lanes already, or were not returned (a poll that throws has taken
                    // nothing: PartitionedSubscription#poll): going on after a backoff loses nothing, reorders nothing.
                    Duration backoff = health.failed(e); // or gives up: the work ends, the partitions go elsewhere
                    forgetPartitionsNoLongerOwned();
                    if (health.attempts() == 1) {
                        log.warn("projector {} instance {}: {}; trying again, backing off up to {} s", projection,
                            instanceId, e.toString(), PollingHealth.MAX_BACKOFF.toSeconds(), e);
                    } else {
                        log.warn("projector {} instance {}: still failing ({} times in a row): {}", projection,
                            instanceId, health.attempts(), e.toString());
                    }
                    lifecycle.pause(backoff);
                }
            }
            if (!lifecycle.killed()) {
                awaitLanes(Duration.ofSeconds(10));
                acknowledge(partitions.keySet());
            }
        } catch (RuntimeException | Error e) {
            if (!lifecycle.killed()) {
                health.ended(e);
                log.error("projector {} instance {} stopped, its work ended (restart the process): {}", projection,
                    instanceId, e.toString(), e);
            }
            if (e instanceof Error error) {
                throw error;
            }
        } finally {
            // A killed instance stays a member, as a crashed process would: its partitions move only when the
            // transport notices it is gone.
            if (lifecycle.killed()) {
                subscription.abandon();
            } else {
                subscription.close();
            }
        }
    }

    /**
     * One pass of the loop: requested actions and pauses, a poll, its records to the lanes, and at their intervals the
     * acknowledgements and the operators' requests.
     *
     * @return false if the instance was stopped or killed during the poll
     */
    private boolean pass() {
        control.runRequestedActions();
        control.applyBackpressure(lanes.queued(), settings.maxBuffered());
        List<SubscribedRecord> records = subscription.poll(POLL);
        if (!lifecycle.running()) {
            return false;
        }
        dispatch(records);
        long now = System.nanoTime();
        if (now - nextAcknowledge >= 0) {
            lag = subscription.lag();
            acknowledge(partitions.keySet());
            nextAcknowledge = now + settings.commitInterval().toNanos();
        }
        if (now - nextRequests >= 0) {
            nextRequests = now + settings.requestPoll().toNanos();
            requests.poll(subscription.owned());
        }
        return true;
    }

    /**
     * After a failed pass: a partition revoked or lost while it failed (a rebalance callback that threw halfway) is
     * dropped here, so that nothing more is acknowledged for it and a partition gained again starts afresh.
     */
    private void forgetPartitionsNoLongerOwned() {
        Set<PartitionId> owned;
        try {
            owned = subscription.owned();
        } catch (RuntimeException e) {
            return; // asked again after the next failed pass
        }
        List<PartitionId> gone = partitions.keySet().stream().filter(p -> !owned.contains(p)).toList();
        if (!gone.isEmpty()) {
            log.warn("projector {} instance {}: {} no longer owned after the failed pass; nothing more acknowledged "
                + "there", projection, instanceId, gone);
            lost(gone);
        }
    }

    private void refreshParked() {
        try {
            parking.refresh();
        } catch (RuntimeException e) {
            // Not fatal: whether an aggregate is parked is also checked against the store when its record comes.
            log.warn("projector {}: cannot learn of parked aggregates now: {}", projection, e.toString());
        }
    }

    /** Hands a poll's records to their aggregates' lanes at once, so that the lanes can batch them across keys. */
    private void dispatch(List<SubscribedRecord> records) {
        List<AggregateLanes.Keyed<LaneItem>> items = new ArrayList<>(records.size());
        for (SubscribedRecord record : records) {
            PartitionOffsets offsets = partitions.computeIfAbsent(record.partition(), p -> new PartitionOffsets());
            offsets.add(record.position());
            items.add(new AggregateLanes.Keyed<>(record.aggregateKey(), new LaneItem.Delivered(record, offsets)));
        }
        lanes.submitAll(items);
    }

    private void acknowledge(Collection<PartitionId> which) {
        if (lifecycle.killed()) {
            return; // a crashed process acknowledges nothing
        }
        Map<PartitionId, Long> next = new HashMap<>();
        for (PartitionId partition : which) {
            PartitionOffsets offsets = partitions.get(partition);
            long committable = offsets == null ? -1 : offsets.committable();
            if (committable >= 0) {
                next.put(partition, committable);
            }
        }
        // Not recorded this time: the positions stay tracked and the next acknowledgement carries them, or the
        // records are re-delivered to the next owner, where the version check skips them.
        if (!next.isEmpty() && subscription.acknowledge(next)) {
            next.forEach((partition, position) -> {
                PartitionOffsets offsets = partitions.get(partition);
                if (offsets != null) {
                    offsets.committed(position);
                }
            });
        }
    }

    private void awaitLanes(Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (lanes.queued() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    // ---- ownership, called from inside poll ----

    @Override
    public void gained(Collection<PartitionId> gained) {
        // Owned from now on, records or not: the status shows it (nothing is acknowledged before a record is done).
        // A revoked partition's offsets left behind (a callback that failed halfway) are never reused.
        gained.forEach(p -> partitions.compute(p, (x, offsets) -> offsets == null || offsets.isRevoked()
            ? new PartitionOffsets() : offsets));
        control.gained(gained);
        if (!gained.isEmpty()) {
            refreshParked();
        }
    }

    @Override
    public void revoked(Collection<PartitionId> revoked) {
        // Acknowledge what is done; what is not done is abandoned and re-delivered to the next owner, where the
        // version check turns anything we still finish into a duplicate.
        revoked.forEach(p -> {
            PartitionOffsets offsets = partitions.get(p);
            if (offsets != null) {
                offsets.revoke();
            }
        });
        try {
            acknowledge(revoked);
        } finally {
            revoked.forEach(partitions::remove); // not owned any more, whether the acknowledgement went through or not
            control.gone(revoked);
        }
    }

    @Override
    public void lost(Collection<PartitionId> lost) {
        lost.forEach(p -> {
            PartitionOffsets offsets = partitions.remove(p);
            if (offsets != null) {
                offsets.revoke();
            }
        });
        control.gone(lost);
    }
}
