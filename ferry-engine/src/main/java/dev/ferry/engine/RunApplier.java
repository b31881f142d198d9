package dev.ferry.engine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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

    /** A key's records made ready, to be written in the batch's one write. */
    private record KeyRun<R, S>(String aggregateKey, List<Handled<R, S>> handled) {
    }

    /**
     * One batch of the lanes: each aggregate's records are prepared in order, and what is ready of all of them is
     * written together (one round trip, where the target writes many aggregates at once). An aggregate with an
     * operator's request in the batch is handled on its own, the request in its place.
     */
    @Override
    public void handle(Map<String, List<LaneItem>> batch) {
        List<KeyRun<R, S>> ready = new ArrayList<>();
        batch.forEach((aggregateKey, items) -> {
            if (items.stream().allMatch(item -> item instanceof LaneItem.Delivered)) {
                List<Handled<R, S>> handled = prepare(aggregateKey,
                    items.stream().map(LaneItem.Delivered.class::cast).toList());
                if (!handled.isEmpty()) {
                    ready.add(new KeyRun<>(aggregateKey, handled));
                }
            } else {
                handleInOrder(aggregateKey, items);
            }
        });
        writeTogether(ready);
    }

    /** One aggregate's records and requests: the records before a request are written before it runs. */
    private void handleInOrder(String aggregateKey, List<LaneItem> items) {
        List<LaneItem.Delivered> run = new ArrayList<>();
        for (LaneItem item : items) {
            if (item instanceof LaneItem.Delivered delivered) {
                run.add(delivered);
            } else if (item instanceof LaneItem.Action action) {
                write(aggregateKey, prepare(aggregateKey, run));
                run = new ArrayList<>();
                action.task().run();
            }
        }
        write(aggregateKey, prepare(aggregateKey, run));
    }

    /**
     * Prepares consecutive records of one aggregate: handlers run in order. Whatever needs a record on its own
     * (undecodable, parked, a failing handler) first writes what came before it, so the aggregate's order holds.
     *
     * @return the records after the last of those, ready for one version-checked write
     */
    private List<Handled<R, S>> prepare(String aggregateKey, List<LaneItem.Delivered> run) {
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
        return ready;
    }

    /**
     * Writes the ready runs of several aggregates in one call, when the target can; a run whose partition this
     * instance may no longer write is left unfinished. If the call fails, each aggregate is written again on its own,
     * so that one bad record costs its own aggregate, never its neighbours.
     */
    private void writeTogether(List<KeyRun<R, S>> runs) {
        if (runs.size() == 1 || !target.writesManyKeys()) {
            runs.forEach(run -> write(run.aggregateKey(), run.handled()));
            return;
        }
        List<KeyRun<R, S>> writable = writable(runs);
        if (writable.isEmpty()) {
            return;
        }
        List<List<ReadModelWriter.Outcome>> outcomes;
        try {
            outcomes = target.writeRuns(writable.stream().map(run -> run.handled().stream().map(Handled::step).toList())
                .toList());
        } catch (RuntimeException e) {
            writable.forEach(run -> write(run.aggregateKey(), run.handled()));
            return;
        }
        List<PartitionId> written = new ArrayList<>();
        for (int i = 0; i < writable.size(); i++) {
            if (outcomes.get(i) != null) {
                written.add(writable.get(i).handled().get(0).delivered().partition());
            }
        }
        resumeAfterBreaker(written);
        for (int i = 0; i < writable.size(); i++) {
            KeyRun<R, S> run = writable.get(i);
            if (outcomes.get(i) == null) {
                write(run.aggregateKey(), run.handled()); // this run failed, its neighbours did not
            } else {
                settle(run.aggregateKey(), run.handled(), outcomes.get(i));
            }
        }
    }

    /**
     * The runs this instance may still write: not abandoned, and of partitions the fence lets it write (asked once
     * per partition, over the positions of all its records in the batch).
     */
    private List<KeyRun<R, S>> writable(List<KeyRun<R, S>> runs) {
        if (lifecycle.killed()) {
            return List.of();
        }
        Map<PartitionId, long[]> spans = new HashMap<>();
        List<KeyRun<R, S>> live = new ArrayList<>(runs.size());
        for (KeyRun<R, S> run : runs) {
            List<Handled<R, S>> handled = run.handled().stream().filter(h -> !h.delivered().abandoned()).toList();
            if (handled.isEmpty()) {
                continue;
            }
            live.add(new KeyRun<>(run.aggregateKey(), handled));
            for (Handled<R, S> h : handled) {
                long position = h.delivered().record().position();
                spans.merge(h.delivered().partition(), new long[] {position, position},
                    (span, one) -> new long[] {Math.min(span[0], one[0]), Math.max(span[1], one[1])});
            }
        }
        Map<PartitionId, Boolean> mayWrite = new HashMap<>();
        spans.forEach((partition, span) -> mayWrite.put(partition, subscription.mayWrite(partition, span[0], span[1])));
        // Fenced: a former owner (paused past its lease) leaves the run unfinished, for the partition's next owner.
        return live.stream().filter(run -> mayWrite.get(run.handled().get(0).delivered().partition())).toList();
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
        resumeAfterBreaker(List.of(ready.get(0).delivered().partition()));
        settle(aggregateKey, ready, outcomes);
    }

    /** A write went through: a partition paused by a breaker (its store was down) goes on. */
    private void resumeAfterBreaker(List<PartitionId> written) {
        if (control.anyBreakerPaused() && written.stream().anyMatch(control::isBreakerPaused)) {
            control.resumeAfterBreaker();
        }
    }

    /** Counts a written run's outcomes and finishes its records; a gap is parked. */
    private void settle(String aggregateKey, List<Handled<R, S>> ready, List<ReadModelWriter.Outcome> outcomes) {
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
