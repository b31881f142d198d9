package dev.ferry.engine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

import dev.ferry.core.event.Event;
import dev.ferry.core.projection.HandlerContext;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.projection.RetryPolicy;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.engine.wire.EventJsonDecoder;

/**
 * The work of an aggregate's lane: decodes its records, runs the handlers in order and writes consecutive events as
 * one version-checked run. A failing event is retried alone with backoff and parked after the retry budget; a
 * dependency behind an open breaker pauses the partition instead of spending the budget.
 */
final class RunProjector implements AggregateLanes.Worker<LaneItem> {

    private final Projection projection;
    private final ReadModelWriter writer;
    private final RetryPolicy retry;
    private final DependencyBreakers breakers;
    private final PartitionControl control;
    private final SequencedParking parking;
    private final Counters counters;
    private final Lifecycle lifecycle;
    private final PartitionedSubscription subscription;
    private final EventJsonDecoder decoder = new EventJsonDecoder();

    /** @param subscription asked before every read-model write whether this instance still owns the partition */
    RunProjector(Projection projection, ReadModelWriter writer, RetryPolicy retry, DependencyBreakers breakers,
                 PartitionControl control, SequencedParking parking, Counters counters, Lifecycle lifecycle,
                 PartitionedSubscription subscription) {
        this.projection = projection;
        this.writer = writer;
        this.retry = retry;
        this.breakers = breakers;
        this.control = control;
        this.parking = parking;
        this.counters = counters;
        this.lifecycle = lifecycle;
        this.subscription = subscription;
    }

    /** A decoded event and its handler's change, waiting to be written with the rest of its run. */
    private record Handled(LaneItem.Delivered delivered, Event event, ReadModelChange change) {
    }

    /** One batch of an aggregate's lane: consecutive records are projected as a run, requests run in their place. */
    @Override
    public void handle(String aggregateKey, List<LaneItem> batch) {
        List<LaneItem.Delivered> run = new ArrayList<>();
        for (LaneItem item : batch) {
            if (item instanceof LaneItem.Delivered delivered) {
                run.add(delivered);
            } else if (item instanceof LaneItem.Action action) {
                project(aggregateKey, run);
                run = new ArrayList<>();
                action.task().run();
            }
        }
        project(aggregateKey, run);
    }

    /**
     * Projects consecutive records of one aggregate: handlers run in order, and the changes are written together in
     * one version-checked write. Whatever needs a record on its own (undecodable, parked, a failing handler) first
     * writes what came before it, so the aggregate's order holds.
     */
    private void project(String aggregateKey, List<LaneItem.Delivered> run) {
        List<Handled> ready = new ArrayList<>();
        for (LaneItem.Delivered delivered : run) {
            if (delivered.abandoned() || lifecycle.killed()) {
                continue; // not ours any more: not finished, not acknowledged, re-delivered to the new owner
            }
            Event event;
            try {
                event = decoder.decode(delivered.record().value());
            } catch (EventJsonDecoder.UndecodableEvent poison) {
                // Documented rule: an undecodable record is parked with its raw value, and its aggregate with it.
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                if (parking.park(aggregateKey, null, delivered.record(), poison.getMessage(), "", 0)) {
                    delivered.finish();
                }
                continue;
            }
            if (parking.isParked(aggregateKey)) {
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                parking.parkBehind(aggregateKey, event, delivered);
                continue;
            }
            try {
                ready.add(new Handled(delivered, event, projection.apply(event, context(event))));
            } catch (Exception failed) {
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                if (applyWithRetries(event, delivered, aggregateKey, failed)) {
                    delivered.finish();
                }
            }
        }
        write(aggregateKey, ready);
    }

    /** Writes handled events of one aggregate as one run; if the write fails, each goes the retrying way alone. */
    private void write(String aggregateKey, List<Handled> handledEvents) {
        // Records whose partition moved on meanwhile are abandoned: the partition's next owner gets them again.
        List<Handled> ready = handledEvents.stream().filter(h -> !h.delivered().abandoned()).toList();
        if (ready.isEmpty() || lifecycle.killed()) {
            return;
        }
        // Fenced: a former owner (paused past its lease) leaves the run unfinished, for the partition's next owner.
        if (!subscription.mayWrite(ready.get(0).delivered().partition(), ready.get(0).delivered().record().position(),
            ready.get(ready.size() - 1).delivered().record().position())) {
            return;
        }
        List<ReadModelWriter.Outcome> outcomes;
        try {
            outcomes = writer.applyRun(projection, ready.stream()
                .map(handled -> new ReadModelWriter.Step(handled.event(), handled.change())).toList());
        } catch (RuntimeException e) {
            for (Handled handled : ready) {
                if (parking.isParked(aggregateKey)) {
                    parking.parkBehind(aggregateKey, handled.event(), handled.delivered());
                } else if (applyWithRetries(handled.event(), handled.delivered(), aggregateKey, null)) {
                    handled.delivered().finish();
                }
            }
            return;
        }
        if (control.anyBreakerPaused() && control.isBreakerPaused(ready.get(0).delivered().partition())) {
            control.resumeAfterBreaker();
        }
        for (int i = 0; i < ready.size(); i++) {
            Handled handled = ready.get(i);
            switch (outcomes.get(i)) {
                case APPLIED -> counters.applied.incrementAndGet();
                case DUPLICATE -> counters.duplicates.incrementAndGet();
                case GAP -> {
                    if (parking.isParked(aggregateKey)) {
                        parking.parkBehind(aggregateKey, handled.event(), handled.delivered());
                        continue;
                    }
                    if (!parkGap(aggregateKey, handled.event(), handled.delivered(), 1)) {
                        continue; // fenced: left unfinished for the partition's next owner
                    }
                }
            }
            handled.delivered().finish();
        }
    }

    private boolean parkGap(String aggregateKey, Event event, LaneItem.Delivered delivered, int attempts) {
        return parking.park(aggregateKey, event, delivered.record(), "gap: the read model of " + aggregateKey + " is at version "
            + writer.version(projection, event.aggregateId()) + ", this event is version " + event.version(), "", attempts);
    }

    /**
     * One event on its own, retried with backoff and parked after the retry budget.
     *
     * @param failed the failure of a first attempt already made, or null
     * @return true if the record is finished (applied, duplicate or parked); false if abandoned or fenced
     */
    private boolean applyWithRetries(Event event, LaneItem.Delivered delivered, String aggregateKey, Exception failed) {
        PartitionId partition = delivered.partition();
        Exception lastFailure = failed;
        int attempts = 0;
        while (true) {
            if (delivered.abandoned() || lifecycle.killed()) {
                return false;
            }
            try {
                if (lastFailure == null) {
                    if (!subscription.mayWrite(partition, delivered.record().position(), delivered.record().position())) {
                        return false; // fenced: left unfinished for the next owner
                    }
                    ReadModelWriter.Outcome outcome = writer.apply(projection, event,
                        projection.apply(event, context(event)));
                    if (control.isBreakerPaused(partition)) {
                        control.resumeAfterBreaker();
                    }
                    switch (outcome) {
                        case APPLIED -> counters.applied.incrementAndGet();
                        case DUPLICATE -> counters.duplicates.incrementAndGet();
                        case GAP -> {
                            return parkGap(aggregateKey, event, delivered, attempts + 1);
                        }
                    }
                    return true;
                }
            } catch (Exception e) {
                lastFailure = e;
            }
            if (lastFailure instanceof DependencyBreakers.DependencyUnavailable) {
                // Not this event's fault: pause the partition, probe at the breaker's interval, no attempt spent.
                control.pauseForBreaker(partition);
                LockSupport.parkNanos(breakers.openFor().toNanos());
            } else {
                attempts++;
                if (attempts >= retry.maxAttempts()) {
                    return parking.park(aggregateKey, event, delivered.record(), lastFailure.toString(),
                        stackSummary(lastFailure), attempts);
                }
                LockSupport.parkNanos(retry.backoffAfter(attempts).toNanos());
            }
            lastFailure = null;
        }
    }

    /** Applies one parked event again, for an operator's retry: handler, then the version-checked write. */
    ReadModelWriter.Outcome reapply(Event event) throws Exception {
        return writer.apply(projection, event, projection.apply(event, context(event)));
    }

    private HandlerContext context(Event event) {
        return new HandlerContext() {
            @Override
            public String idempotencyKey() {
                return event.eventId();
            }

            @Override
            public <T> T call(String dependency, Callable<T> call) throws Exception {
                return breakers.call(dependency, call);
            }
        };
    }

    private static String stackSummary(Throwable e) {
        StringWriter out = new StringWriter();
        e.printStackTrace(new PrintWriter(out));
        String[] lines = out.toString().split("\n");
        return String.join("\n", Arrays.copyOf(lines, Math.min(lines.length, 8)));
    }
}
