package dev.ferry.core.projection;

import java.util.List;
import java.util.function.LongConsumer;

import dev.ferry.core.event.Event;

/**
 * Reports the end-to-end latency of every applied event, append to read model written, in milliseconds (event
 * timestamps are taken at append, with millisecond precision; across hosts this also measures clock offset).
 */
public final class LatencyObservingWriter implements ReadModelWriter {

    private final ReadModelWriter delegate;
    private final LongConsumer latencyMillis;

    public LatencyObservingWriter(ReadModelWriter delegate, LongConsumer latencyMillis) {
        this.delegate = delegate;
        this.latencyMillis = latencyMillis;
    }

    @Override
    public Outcome apply(Projection projection, Event event, ReadModelChange change) {
        Outcome outcome = delegate.apply(projection, event, change);
        if (outcome == Outcome.APPLIED) {
            latencyMillis.accept(Math.max(0, System.currentTimeMillis() - event.timestamp().toEpochMilli()));
        }
        return outcome;
    }

    @Override
    public List<Outcome> applyRun(Projection projection, List<Step> run) {
        List<Outcome> outcomes = delegate.applyRun(projection, run);
        observe(run, outcomes, System.currentTimeMillis());
        return outcomes;
    }

    @Override
    public List<List<Outcome>> applyRuns(Projection projection, List<List<Step>> runs) {
        List<List<Outcome>> outcomes = delegate.applyRuns(projection, runs);
        long now = System.currentTimeMillis();
        for (int run = 0; run < runs.size(); run++) {
            if (outcomes.get(run) != null) {
                observe(runs.get(run), outcomes.get(run), now);
            }
        }
        return outcomes;
    }

    private void observe(List<Step> run, List<Outcome> outcomes, long now) {
        for (int i = 0; i < outcomes.size(); i++) {
            if (outcomes.get(i) == Outcome.APPLIED) {
                latencyMillis.accept(Math.max(0, now - run.get(i).event().timestamp().toEpochMilli()));
            }
        }
    }

    @Override
    public long version(Projection projection, String aggregateId) {
        return delegate.version(projection, aggregateId);
    }

    @Override
    public Outcome skip(Projection projection, Event event, String reason) {
        return delegate.skip(projection, event, reason);
    }
}
