package dev.ferry.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.projection.ParkedEvents;
import dev.ferry.core.projection.ParkedEvents.ParkedEvent;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.subscription.PartitionId;

/**
 * Carries out operators' retry and skip requests for the aggregates whose partitions this instance owns. A request
 * runs in the aggregate's lane, so it is serialized with the aggregate's live events, which wait behind it.
 */
final class OperatorRequests {

    private static final Logger log = LoggerFactory.getLogger(OperatorRequests.class);

    private final Projection projection;
    private final ParkedEvents store;
    private final ReadModelWriter writer;
    private final RunProjector projector;
    private final SequencedParking parking;
    private final AggregateLanes<LaneItem> lanes;
    private final Counters counters;
    private final Set<String> inProgress = ConcurrentHashMap.newKeySet();

    OperatorRequests(Projection projection, ParkedEvents store, ReadModelWriter writer, RunProjector projector,
                     SequencedParking parking, AggregateLanes<LaneItem> lanes, Counters counters) {
        this.projection = projection;
        this.store = store;
        this.writer = writer;
        this.projector = projector;
        this.parking = parking;
        this.lanes = lanes;
        this.counters = counters;
    }

    /** Looks for new requests; queues those of owned partitions in their aggregates' lanes. */
    void poll(Set<PartitionId> owned) {
        List<ParkedEvents.PendingRequest> pending;
        try {
            pending = store.pendingRequests(projection.name());
        } catch (RuntimeException e) {
            log.warn("projector {}: cannot read operator requests: {}", projection.name(), e.toString());
            return;
        }
        for (ParkedEvents.PendingRequest request : pending) {
            List<ParkedEvent> parked = store.parked(projection.name(), request.aggregateKey());
            if (parked.isEmpty()) {
                store.complete(projection.name(), request, "nothing parked");
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
        List<ParkedEvent> parked = new ArrayList<>(store.parked(projection.name(), key));
        String result;
        try {
            if (request.request() == ParkedEvents.Request.SKIP_FIRST && !parked.isEmpty()) {
                ParkedEvent first = parked.remove(0);
                if (first.event() != null) {
                    writer.skip(projection, first.event(), "skipped by an operator");
                }
                store.remove(projection.name(), first);
            }
            result = retryParked(key, parked);
        } catch (RuntimeException e) {
            result = "failed: " + e;
        }
        store.complete(projection.name(), request, result);
        inProgress.remove(request.id());
        log.info("projector {}: {} of {}: {}", projection.name(), request.request(), key, result);
    }

    private String retryParked(String key, List<ParkedEvent> parked) {
        int done = 0;
        for (ParkedEvent event : parked) {
            if (event.event() == null) {
                return "stopped at an undecodable record (offset " + event.offset() + "); skip it to go on; "
                    + done + " applied";
            }
            try {
                ReadModelWriter.Outcome outcome = projector.reapply(event.event());
                if (outcome == ReadModelWriter.Outcome.GAP) {
                    return "stopped at version " + event.event().version() + ": the read model is at "
                        + writer.version(projection, event.event().aggregateId()) + "; " + done + " applied";
                }
                if (outcome == ReadModelWriter.Outcome.APPLIED) {
                    counters.applied.incrementAndGet();
                }
                store.remove(projection.name(), event);
                done++;
            } catch (Exception e) {
                return "stopped at version " + event.event().version() + ": " + e + "; " + done + " applied";
            }
        }
        parking.released(key);
        return "all " + done + " parked events applied; the aggregate is live again";
    }
}
