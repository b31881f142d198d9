package dev.ferry.engine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

import dev.ferry.core.projection.HandlerContext;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.target.RetryPolicy;
import dev.ferry.core.target.TargetUnavailable;

/**
 * The work of an aggregate's lane, for any {@link LaneTarget}: decodes its records, prepares them in order (a
 * projection's handlers) and writes consecutive ones as one version-checked run. A failing record is retried alone
 * with backoff and parked after the retry budget; a dependency behind an open breaker pauses the partition instead of
 * spending the budget.
 *
 * @param <R> a decoded record
 * @param <S> a record made ready to write
 */
final class RunApplier<R, S> implements AggregateLanes.Worker<LaneItem> {

    private final LaneTarget<R, S> target;
    private final RetryPolicy retry;
    private final DependencyBreakers breakers;
    private final PartitionControl control;
    private final SequencedParking<R> parking;
    private final Counters counters;
    private final Lifecycle lifecycle;
    private final PartitionedSubscription subscription;

    /** @param subscription asked before every write whether this instance still owns the partition */
    RunApplier(LaneTarget<R, S> target, RetryPolicy retry, DependencyBreakers breakers, PartitionControl control,
               SequencedParking<R> parking, Counters counters, Lifecycle lifecycle,
               PartitionedSubscription subscription) {
        this.target = target;
        this.retry = retry;
        this.breakers = breakers;
        this.control = control;
        this.parking = parking;
        this.counters = counters;
        this.lifecycle = lifecycle;
        this.subscription = subscription;
    }

    /** A decoded record made ready, waiting to be written with the rest of its run. */
    private record Handled<R, S>(LaneItem.Delivered delivered, R record, S step) {
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
        List<Handled<R, S>> ready = new ArrayList<>();
        for (LaneItem.Delivered delivered : run) {
            if (delivered.abandoned() || lifecycle.killed()) {
                continue; // not ours any more: not finished, not acknowledged, re-delivered to the new owner
            }
            R record;
            try {
                record = target.decode(delivered.record());
            } catch (RuntimeException poison) {
                // Documented rule: an undecodable record is parked with its raw value, and its aggregate with it.
                // Decoding does no I/O, so any failure of it is the record's: parked, never retried in a loop.
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                String reason = poison instanceof LaneTarget.Undecodable ? poison.getMessage()
                    : "cannot be decoded: " + poison;
                if (parking.park(aggregateKey, null, delivered.record(), reason, "", 0)) {
                    delivered.finish();
                }
                continue;
            }
            if (record == null) {
                // Nothing to apply (an entity's tombstone), yet it keeps its place: what came before is written first.
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                delivered.finish();
                continue;
            }
            if (parking.isParked(aggregateKey)) {
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                parking.parkBehind(aggregateKey, record, delivered);
                continue;
            }
            try {
                ready.add(new Handled<>(delivered, record, target.prepare(record, context(record))));
            } catch (Exception failed) {
                write(aggregateKey, ready);
                ready = new ArrayList<>();
                if (applyWithRetries(record, delivered, aggregateKey, failed)) {
                    delivered.finish();
                }
            }
        }
        write(aggregateKey, ready);
    }

    /** Writes handled records of one aggregate as one run; if the write fails, each goes the retrying way alone. */
    private void write(String aggregateKey, List<Handled<R, S>> handledRecords) {
        // Records whose partition moved on meanwhile are abandoned: the partition's next owner gets them again.
        List<Handled<R, S>> ready = handledRecords.stream().filter(h -> !h.delivered().abandoned()).toList();
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
            outcomes = target.writeRun(ready.stream().map(Handled::step).toList());
        } catch (RuntimeException e) {
            for (Handled<R, S> handled : ready) {
                if (parking.isParked(aggregateKey)) {
                    parking.parkBehind(aggregateKey, handled.record(), handled.delivered());
                } else if (applyWithRetries(handled.record(), handled.delivered(), aggregateKey, null)) {
                    handled.delivered().finish();
                }
            }
            return;
        }
        if (control.anyBreakerPaused() && control.isBreakerPaused(ready.get(0).delivered().partition())) {
            control.resumeAfterBreaker();
        }
        for (int i = 0; i < ready.size(); i++) {
            Handled<R, S> handled = ready.get(i);
            switch (outcomes.get(i)) {
                case APPLIED -> counters.applied.incrementAndGet();
                case DUPLICATE -> counters.duplicates.incrementAndGet();
                case GAP -> {
                    if (parking.isParked(aggregateKey)) {
                        parking.parkBehind(aggregateKey, handled.record(), handled.delivered());
                        continue;
                    }
                    if (!parkGap(aggregateKey, handled.record(), handled.delivered(), 1)) {
                        continue; // fenced: left unfinished for the partition's next owner
                    }
                }
            }
            handled.delivered().finish();
        }
    }

    private boolean parkGap(String aggregateKey, R record, LaneItem.Delivered delivered, int attempts) {
        return parking.park(aggregateKey, record, delivered.record(), "gap: " + target.gap(record), "", attempts);
    }

    /**
     * One record on its own, retried with backoff and parked after the retry budget.
     *
     * @param failed the failure of a first attempt already made, or null
     * @return true if the record is finished (applied, duplicate or parked); false if abandoned or fenced
     */
    private boolean applyWithRetries(R record, LaneItem.Delivered delivered, String aggregateKey, Exception failed) {
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
                    ReadModelWriter.Outcome outcome = target.write(target.prepare(record, context(record)));
                    if (control.isBreakerPaused(partition)) {
                        control.resumeAfterBreaker();
                    }
                    switch (outcome) {
                        case APPLIED -> counters.applied.incrementAndGet();
                        case DUPLICATE -> counters.duplicates.incrementAndGet();
                        case GAP -> {
                            return parkGap(aggregateKey, record, delivered, attempts + 1);
                        }
                    }
                    return true;
                }
            } catch (Exception e) {
                lastFailure = e;
            }
            if (lastFailure instanceof DependencyBreakers.DependencyUnavailable
                || lastFailure instanceof TargetUnavailable) {
                if (!lifecycle.active()) {
                    return false; // stopping: left unfinished, not acknowledged, delivered again to the next owner
                }
                // Not this record's fault (a dependency, or the store written, is down): pause the partition, probe
                // at the breaker's interval (at the backoff while the breaker has not opened yet), no attempt spent.
                control.pauseForBreaker(partition);
                boolean closedBreaker = lastFailure instanceof DependencyBreakers.DependencyUnavailable unavailable
                    && !unavailable.breakerOpen();
                LockSupport.parkNanos(closedBreaker ? retry.backoffAfter(Math.max(1, attempts)).toNanos()
                    : breakers.openFor().toNanos());
            } else {
                attempts++;
                if (attempts >= retry.maxAttempts()) {
                    return parking.park(aggregateKey, record, delivered.record(), lastFailure.toString(),
                        stackSummary(lastFailure), attempts);
                }
                LockSupport.parkNanos(retry.backoffAfter(attempts).toNanos());
            }
            lastFailure = null;
        }
    }

    /** Applies one parked record again, for an operator's retry: prepared, then the version-checked write. */
    ReadModelWriter.Outcome reapply(R record) throws Exception {
        return target.write(target.prepare(record, context(record)));
    }

    private HandlerContext context(R record) {
        return new HandlerContext() {
            @Override
            public String idempotencyKey() {
                return target.idempotencyKey(record);
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
