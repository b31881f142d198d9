package dev.ferry.core.projection;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import dev.ferry.core.event.Event;
import dev.ferry.core.target.TargetUnavailable;

/**
 * Applies changes to a read model only in version order, by the event's {@link dev.ferry.core.event.VersionRule}, in
 * one conditional write: {@code CONTIGUOUS} writes version v only on top of v - 1, so a duplicate is skipped and a
 * gap is never silently applied; {@code INCREASING} writes v only over a lower version and skips the rest as
 * duplicates (it never reports a gap).
 */
public interface ReadModelWriter {

    /** Outcome of one apply. */
    enum Outcome {
        /** Written; the aggregate is now at the event's version. */
        APPLIED,
        /** The read model is already at or past the event's version: nothing written. */
        DUPLICATE,
        /** The read model is behind the version before this event: an event is missing. Nothing written. Only ever
         *  for {@code CONTIGUOUS} versions. */
        GAP
    }

    /** One event of a run and the change its handler made. */
    record Step(Event event, ReadModelChange change) {
        public Step {
            Objects.requireNonNull(event, "event");
            Objects.requireNonNull(change, "change");
        }
    }

    Outcome apply(Projection projection, Event event, ReadModelChange change);

    /**
     * Applies a run of events of one aggregate, in the order given (which may repeat versions, as a topic does after a
     * relay failover). Each event gets the outcome {@link #apply} would give it applied one after another; a writer
     * may write all the new ones in one conditional write, which is why a run is cheaper than its events one by one.
     * Once an event is a {@link Outcome#GAP}, it and every later event of the run are GAP and not written.
     *
     * @return one outcome per step, in order
     */
    default List<Outcome> applyRun(Projection projection, List<Step> run) {
        List<Outcome> outcomes = new ArrayList<>(run.size());
        for (Step step : run) {
            Outcome outcome = apply(projection, step.event(), step.change());
            outcomes.add(outcome);
            if (outcome == Outcome.GAP) {
                outcomes.addAll(Collections.nCopies(run.size() - outcomes.size(), Outcome.GAP));
                break;
            }
        }
        return outcomes;
    }

    /**
     * Applies the runs of several aggregates (each as {@link #applyRun} would); a writer may write them all in one
     * round trip. One entry per run, in order: its outcomes, or null if writing that run failed — the caller writes
     * it again on its own, so one aggregate's failure never costs its neighbours.
     */
    default List<List<Outcome>> applyRuns(Projection projection, List<List<Step>> runs) {
        List<List<Outcome>> outcomes = new ArrayList<>(runs.size());
        boolean down = false;
        for (List<Step> run : runs) {
            if (down) {
                outcomes.add(null); // every write would wait for the store: left to the caller's retries
                continue;
            }
            try {
                outcomes.add(applyRun(projection, run));
            } catch (TargetUnavailable unavailable) {
                down = true;
                outcomes.add(null);
            } catch (RuntimeException failed) {
                outcomes.add(null);
            }
        }
        return outcomes;
    }

    /** The aggregate's version in the read model, 0 if it has none. */
    long version(Projection projection, String aggregateId);

    /**
     * An operator's deliberate skip: advances the aggregate to {@code event}'s version without applying it and
     * records a marker (event id, type, reason, time) in the read model, visible later.
     */
    Outcome skip(Projection projection, Event event, String reason);
}
