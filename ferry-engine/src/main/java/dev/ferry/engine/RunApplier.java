package dev.ferry.engine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.projection.HandlerContext;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.target.RetryPolicy;
import dev.ferry.core.target.TargetUnavailable;

/**
 * The work of the lanes' batches, for any {@link LaneTarget}: decodes each aggregate's records, prepares them in
 * order (a projection's handlers) and writes consecutive ones as one version-checked run — the runs of a batch's
 * aggregates together, in one call to the target. A failing record is retried alone
 * with backoff and parked after the retry budget; a dependency behind an open breaker pauses the partition instead of
 * spending the budget.
 *
 * @param <R> a decoded record
 * @param <S> a record made ready to write
 */
final class RunApplier<R, S> implements AggregateLanes.Worker<LaneItem> {

    private static final Logger log = LoggerFactory.getLogger(RunApplier.class);

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
     * What preparing a key's records for the batch's write gave: the run ready to write, and the records from the
     * first one that needs a way of its own on (undecodable, parked, a failing handler), for after the batch's write.
     *
     * @param failed the failure of the first of {@code rest}'s handler, already called once; null if not called
     */
    private record Prepared<R, S>(List<Handled<R, S>> ready, List<LaneItem.Delivered> rest, Exception failed) {
    }

    /**
     * One batch of the lanes. First every aggregate's records are prepared in order, up to the first that needs a way
     * of its own, and what is ready of all of them is written together (one round trip, where the target writes many
     * aggregates at once); then the aggregates that need more — a record retried or parked, an operator's request
     * in its place — are carried on one by one. So a failing aggregate delays none of its batch's healthy ones, and
     * one aggregate's unexpected failure costs only that aggregate.
     */
    @Override
    public void handle(Map<String, List<LaneItem>> batch) {
        List<KeyRun<R, S>> ready = new ArrayList<>(batch.size());
        Map<String, Runnable> after = null; // rare: an aggregate that needs more than the batch's write
        for (Map.Entry<String, List<LaneItem>> entry : batch.entrySet()) {
            String aggregateKey = entry.getKey();
            List<LaneItem> items = entry.getValue();
            try {
                if (allDelivered(items)) {
                    Prepared<R, S> prepared = prepareForBatch(aggregateKey, items);
                    if (!prepared.ready().isEmpty()) {
                        ready.add(new KeyRun<>(aggregateKey, prepared.ready()));
                    }
                    if (!prepared.rest().isEmpty()) {
                        after = after == null ? new LinkedHashMap<>() : after;
                        after.put(aggregateKey, () -> write(aggregateKey,
                            prepare(aggregateKey, prepared.rest(), prepared.failed())));
                    }
                } else {
                    after = after == null ? new LinkedHashMap<>() : after;
                    after.put(aggregateKey, () -> handleInOrder(aggregateKey, items));
                }
            } catch (RuntimeException e) {
                log.error("lane {}: its records failed unexpectedly and stay unfinished", aggregateKey, e);
            }
        }
        Set<String> failed = new HashSet<>();
        try {
            writeTogether(ready, failed);
        } catch (RuntimeException e) {
            log.error("lanes {}: the batch's write failed unexpectedly; its records stay unfinished",
                ready.stream().map(KeyRun::aggregateKey).toList(), e);
            ready.forEach(run -> failed.add(run.aggregateKey()));
        }
        if (after == null) {
            return;
        }
        // An aggregate whose part of the batch failed unexpectedly goes no further: its later records must not
        // overtake the unfinished ones.
        after.forEach((aggregateKey, work) -> {
            if (!failed.contains(aggregateKey)) {
                isolated(aggregateKey, work);
            }
        });
    }

    private static boolean allDelivered(List<LaneItem> items) {
        for (int i = 0; i < items.size(); i++) {
            if (!(items.get(i) instanceof LaneItem.Delivered)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Runs one aggregate's part of a batch; an unexpected failure is logged and costs that aggregate alone (its
     * records stay unfinished: its partition is not acknowledged past them and they are delivered to the next owner).
     *
     * @return false if it failed so
     */
    private boolean isolated(String aggregateKey, Runnable work) {
        try {
            work.run();
            return true;
        } catch (RuntimeException e) {
            log.error("lane {}: its records failed unexpectedly and stay unfinished", aggregateKey, e);
            return false;
        }
    }

    /** Prepares a key's records for the batch's write, stopping at the first that needs a way of its own. */
    private Prepared<R, S> prepareForBatch(String aggregateKey, List<LaneItem> items) {
        List<Handled<R, S>> ready = new ArrayList<>(items.size());
        for (int i = 0; i < items.size(); i++) {
            LaneItem.Delivered delivered = (LaneItem.Delivered) items.get(i);
            if (delivered.abandoned() || lifecycle.killed()) {
                continue; // not ours any more: not finished, not acknowledged, re-delivered to the new owner
            }
            R record;
            try {
                record = target.decode(delivered.record());
            } catch (RuntimeException poison) {
                return new Prepared<>(ready, delivered(items.subList(i, items.size())), null);
            }
            if (record == null) {
                // Nothing to apply (an entity's tombstone): done, though the records before it are not written yet —
                // the partition is acknowledged only below its lowest unfinished record.
                delivered.finish();
                continue;
            }
            if (parking.isParked(aggregateKey)) {
                return new Prepared<>(ready, delivered(items.subList(i, items.size())), null);
            }
            try {
                ready.add(new Handled<>(delivered, record, prepareStep(record)));
            } catch (Exception failed) {
                return new Prepared<>(ready, delivered(items.subList(i, items.size())), failed);
            }
        }
        return new Prepared<>(ready, List.of(), null);
    }

    private static List<LaneItem.Delivered> delivered(List<LaneItem> items) {
        List<LaneItem.Delivered> delivered = new ArrayList<>(items.size());
        items.forEach(item -> delivered.add((LaneItem.Delivered) item));
        return delivered;
    }

    /** One aggregate's records and requests: the records before a request are written before it runs. */
    private void handleInOrder(String aggregateKey, List<LaneItem> items) {
        List<LaneItem.Delivered> run = new ArrayList<>();
        for (LaneItem item : items) {
            if (item instanceof LaneItem.Delivered delivered) {
                run.add(delivered);
            } else if (item instanceof LaneItem.Action action) {
                write(aggregateKey, prepare(aggregateKey, run, null));
                run = new ArrayList<>();
                action.task().run();
            }
        }
        write(aggregateKey, prepare(aggregateKey, run, null));
    }

    /**
     * Prepares consecutive records of one aggregate: handlers run in order. Whatever needs a record on its own
     * (undecodable, parked, a failing handler) first writes what came before it, so the aggregate's order holds.
     *
     * @param firstFailed the failure of the first record's handler, already called once for it; null if not called
     * @return the records after the last of those, ready for one version-checked write
     */
    private List<Handled<R, S>> prepare(String aggregateKey, List<LaneItem.Delivered> run, Exception firstFailed) {
        List<Handled<R, S>> ready = new ArrayList<>();
        Exception nextFailed = firstFailed;
        for (LaneItem.Delivered delivered : run) {
            Exception alreadyFailed = nextFailed; // the first record's only
            nextFailed = null;
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
                if (alreadyFailed != null) {
                    throw alreadyFailed; // its handler's first attempt, made while preparing the batch
                }
                ready.add(new Handled<>(delivered, record, prepareStep(record)));
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
     * Writes the ready runs of several aggregates in one call; a run whose partition this instance may no longer
     * write is left unfinished. A run the call did not write (it failed, or the whole call did) is written again on
     * its own, so that one bad record costs its own aggregate, never its neighbours.
     */
    private void writeTogether(List<KeyRun<R, S>> runs, Set<String> failed) {
        if (runs.size() == 1) {
            isolatedWrite(runs.get(0), () -> write(runs.get(0).aggregateKey(), runs.get(0).handled()), failed);
            return;
        }
        List<KeyRun<R, S>> writable = writable(runs);
        if (writable.isEmpty()) {
            return;
        }
        List<List<ReadModelWriter.Outcome>> outcomes;
        try {
            List<List<S>> steps = new ArrayList<>(writable.size());
            for (KeyRun<R, S> run : writable) {
                steps.add(steps(run.handled()));
            }
            outcomes = target.writeRuns(steps);
        } catch (TargetUnavailable down) {
            writable.forEach(run -> isolatedWrite(run, () -> retryEach(run.aggregateKey(), run.handled()), failed));
            return;
        } catch (RuntimeException notWritten) {
            outcomes = Collections.nCopies(writable.size(), null);
        }
        List<KeyRun<R, S>> unwritten = new ArrayList<>();
        for (int i = 0; i < writable.size(); i++) {
            KeyRun<R, S> run = writable.get(i);
            List<ReadModelWriter.Outcome> written = outcomes.get(i);
            if (written == null) {
                unwritten.add(run);
            } else {
                settleIsolated(run, written, failed);
            }
        }
        if (!unwritten.isEmpty()) {
            writeAlone(unwritten, failed);
        }
    }

    /** Settles a written run isolated from the others (as {@link #isolatedWrite}), without a lambda per run. */
    private void settleIsolated(KeyRun<R, S> run, List<ReadModelWriter.Outcome> written, Set<String> failed) {
        try {
            resumeAfterBreaker(run.handled().get(0).delivered().partition());
            settle(run.aggregateKey(), run.handled(), written);
        } catch (RuntimeException e) {
            log.error("lane {}: its records failed unexpectedly and stay unfinished", run.aggregateKey(), e);
            failed.add(run.aggregateKey());
        }
    }

    /** Runs a key's write isolated from the others'; notes the key if it failed unexpectedly. */
    private void isolatedWrite(KeyRun<R, S> run, Runnable write, Set<String> failed) {
        if (!isolated(run.aggregateKey(), write)) {
            failed.add(run.aggregateKey());
        }
    }

    /**
     * Runs the batch's call did not write, each tried once on its own first, so that the healthy ones are finished
     * before any retry's backoff; those that fail again go the retrying way, one record at a time.
     */
    private void writeAlone(List<KeyRun<R, S>> runs, Set<String> failed) {
        List<KeyRun<R, S>> failing = new ArrayList<>();
        boolean targetDown = false;
        for (KeyRun<R, S> run : runs) {
            if (targetDown) {
                failing.add(run);
                continue;
            }
            try {
                List<ReadModelWriter.Outcome> written = target.writeRun(steps(run.handled()));
                settleIsolated(run, written, failed);
            } catch (RuntimeException e) {
                targetDown = e instanceof TargetUnavailable; // then every other write would wait for it too
                failing.add(run);
            }
        }
        failing.forEach(run -> isolatedWrite(run, () -> retryEach(run.aggregateKey(), run.handled()), failed));
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
            List<Handled<R, S>> handled = live(run.handled());
            if (handled.isEmpty()) {
                continue;
            }
            live.add(handled == run.handled() ? run : new KeyRun<>(run.aggregateKey(), handled));
            for (int i = 0; i < handled.size(); i++) {
                LaneItem.Delivered delivered = handled.get(i).delivered();
                long position = delivered.record().position();
                long[] span = spans.get(delivered.partition());
                if (span == null) {
                    spans.put(delivered.partition(), new long[] {position, position});
                } else {
                    span[0] = Math.min(span[0], position);
                    span[1] = Math.max(span[1], position);
                }
            }
        }
        Map<PartitionId, Boolean> mayWrite = new HashMap<>();
        spans.forEach((partition, span) -> mayWrite.put(partition, subscription.mayWrite(partition, span[0], span[1])));
        // Fenced: a former owner (paused past its lease) leaves the run unfinished, for the partition's next owner.
        List<KeyRun<R, S>> writable = new ArrayList<>(live.size());
        for (KeyRun<R, S> run : live) {
            if (mayWrite.get(run.handled().get(0).delivered().partition())) {
                writable.add(run);
            }
        }
        return writable;
    }

    /** The records whose partition has not moved on meanwhile; the list itself when none has. */
    private static <R, S> List<Handled<R, S>> live(List<Handled<R, S>> handled) {
        for (int i = 0; i < handled.size(); i++) {
            if (handled.get(i).delivered().abandoned()) {
                List<Handled<R, S>> live = new ArrayList<>(handled.size());
                for (Handled<R, S> h : handled) {
                    if (!h.delivered().abandoned()) {
                        live.add(h);
                    }
                }
                return live;
            }
        }
        return handled;
    }

    private static <R, S> List<S> steps(List<Handled<R, S>> handled) {
        List<S> steps = new ArrayList<>(handled.size());
        for (int i = 0; i < handled.size(); i++) {
            steps.add(handled.get(i).step());
        }
        return steps;
    }

    /** Writes handled records of one aggregate as one run; if the write fails, each goes the retrying way alone. */
    private void write(String aggregateKey, List<Handled<R, S>> handledRecords) {
        // Records whose partition moved on meanwhile are abandoned: the partition's next owner gets them again.
        List<Handled<R, S>> ready = live(handledRecords);
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
            outcomes = target.writeRun(steps(ready));
        } catch (RuntimeException e) {
            retryEach(aggregateKey, ready);
            return;
        }
        resumeAfterBreaker(ready.get(0).delivered().partition());
        settle(aggregateKey, ready, outcomes);
    }

    /** A run whose write failed: each record goes the retrying way alone, in order (or behind its parked aggregate). */
    private void retryEach(String aggregateKey, List<Handled<R, S>> run) {
        for (Handled<R, S> handled : run) {
            if (parking.isParked(aggregateKey)) {
                parking.parkBehind(aggregateKey, handled.record(), handled.delivered());
            } else if (applyWithRetries(handled.record(), handled.delivered(), aggregateKey, null)) {
                handled.delivered().finish();
            }
        }
    }

    /** A write went through: a partition paused by a breaker (its store was down) goes on. */
    private void resumeAfterBreaker(PartitionId written) {
        if (control.anyBreakerPaused() && control.isBreakerPaused(written)) {
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
                    ReadModelWriter.Outcome outcome = target.write(prepareStep(record));
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
        return target.write(prepareStep(record));
    }

    /**
     * The target's work before the write; a handler's {@link AssertionError} or {@link LinkageError} is its failure
     * (retried, then parked), not the lane's.
     */
    private S prepareStep(R record) throws Exception {
        try {
            return target.prepare(record, context(record));
        } catch (AssertionError | LinkageError error) {
            throw new IllegalStateException("the handler failed: " + error, error);
        }
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
