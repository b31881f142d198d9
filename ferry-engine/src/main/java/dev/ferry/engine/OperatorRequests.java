package dev.ferry.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.target.ParkedEvents.ParkedEvent;

/**
 * Carries out operators' retry and skip requests for the aggregates whose partitions this instance owns. A request
 * runs in the aggregate's lane, so it is serialized with the aggregate's live events, which wait behind it.
 */
final class OperatorRequests<R> {

    private static final Logger log = LoggerFactory.getLogger(OperatorRequests.class);

    private final LaneTarget<R, ?> target;
    private final String name;
    private final ParkedEvents store;
    private final RunApplier<R, ?> applier;
    private final SequencedParking<R> parking;
    private final AggregateLanes<LaneItem> lanes;
    private final Counters counters;
    private final Set<String> inProgress = ConcurrentHashMap.newKeySet();

    OperatorRequests(LaneTarget<R, ?> target, ParkedEvents store, RunApplier<R, ?> applier, SequencedParking<R> parking,
                     AggregateLanes<LaneItem> lanes, Counters counters) {
        this.target = target;
        this.name = target.name();
        this.store = store;
        this.applier = applier;
        this.parking = parking;
        this.lanes = lanes;
        this.counters = counters;
    }

    /** Looks for new requests; queues those of owned partitions in their aggregates' lanes. */
    void poll(Set<PartitionId> owned) {
        List<ParkedEvents.PendingRequest> pending;
        try {
            pending = store.pendingRequests(name);
        } catch (RuntimeException e) {
            log.warn("{}: cannot read operator requests: {}", name, e.toString());
            return;
        }
        for (ParkedEvents.PendingRequest request : pending) {
            List<ParkedEvent> parked = store.parked(name, request.aggregateKey());
            if (parked.isEmpty()) {
                store.complete(name, request, "nothing parked");
                continue;
            }
            PartitionId partition = new PartitionId(parked.get(0).topic(), parked.get(0).partition());
            if (owned.contains(partition) && inProgress.add(request.id())) {
                lanes.submit(request.aggregateKey(), new LaneItem.Action(() -> carryOut(request)));
            }
        }
    }

    private void carryOut(ParkedEvents.PendingRequest request) {
        String key = request.aggregateKey();
        List<ParkedEvent> parked = new ArrayList<>(store.parked(name, key));
        String result;
        try {
            if (request.request() == ParkedEvents.Request.SKIP_FIRST && !parked.isEmpty()) {
                ParkedEvent first = parked.remove(0);
                R record = decodedOrNull(first);
                if (record != null) {
                    target.skip(record, "skipped by an operator");
                }
                store.remove(name, first);
            }
            result = retryParked(key, parked);
        } catch (RuntimeException e) {
            result = "failed: " + e;
        }
        store.complete(name, request, result);
        inProgress.remove(request.id());
        log.info("{}: {} of {}: {}", name, request.request(), key, result);
    }

    private String retryParked(String key, List<ParkedEvent> parked) {
        int done = 0;
        for (ParkedEvent event : parked) {
            R record = decodedOrNull(event);
            if (record == null) {
                return "stopped at an undecodable record (offset " + event.offset() + "); skip it to go on; "
                    + done + " applied";
            }
            try {
                ReadModelWriter.Outcome outcome = applier.reapply(record);
                if (outcome == ReadModelWriter.Outcome.GAP) {
                    return "stopped at " + target.describe(record) + ": " + target.gap(record) + "; " + done
                        + " applied";
                }
                if (outcome == ReadModelWriter.Outcome.APPLIED) {
                    counters.applied.incrementAndGet();
                }
                store.remove(name, event);
                done++;
            } catch (Exception e) {
                return "stopped at " + target.describe(record) + ": " + e + "; " + done + " applied";
            }
        }
        parking.released(key);
        return "all " + done + " parked events applied; the aggregate is live again";
    }

    private R decodedOrNull(ParkedEvent parked) {
        try {
            return target.fromParked(parked);
        } catch (LaneTarget.Undecodable e) {
            return null;
        }
    }
}
