package dev.ferry.core.replica;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaWriter.Outcome;

/**
 * A batch of entity changes cut into runs, one per id in the order the ids first appear, each run keeping its changes'
 * delivery order; the outcomes of the runs are put back in the batch's order. Every replica writer plans its writes
 * from these runs, so what counts as applied or duplicate is decided in one place.
 */
public final class ChangeRuns {

    private final List<EntityChange> batch;
    private final List<Run> runs;

    private ChangeRuns(List<EntityChange> batch, List<Run> runs) {
        this.batch = batch;
        this.runs = runs;
    }

    public static ChangeRuns of(List<EntityChange> batch) {
        Map<String, List<Integer>> positions = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            EntityChange change = batch.get(i);
            positions.computeIfAbsent(change.entity() + '\u0000' + change.id(), key -> new ArrayList<>()).add(i);
        }
        List<Run> runs = new ArrayList<>(positions.size());
        for (List<Integer> at : positions.values()) {
            EntityChange first = batch.get(at.get(0));
            runs.add(new Run(first.entity(), first.id(), at.stream().map(batch::get).toList(), at));
        }
        return new ChangeRuns(batch, runs);
    }

    public List<Run> runs() {
        return runs;
    }

    /** The outcomes of the final plans, one per run in any order, put back in the batch's order. */
    public List<Outcome> outcomes(List<Plan> plans) {
        return outcomes(plans, Map.of());
    }

    /**
     * The outcomes of the final plans put back in the batch's order, where the target refused the runs of
     * {@code refused}: those of the others in a {@link ChangesRejected}; a batch of one run throws the run's own cause.
     *
     * @param refused why the target refused a run, for each run it refused (none written)
     */
    public List<Outcome> outcomes(List<Plan> plans, Map<Run, RuntimeException> refused) {
        if (runs.size() == 1 && refused.containsKey(runs.get(0))) {
            throw refused.get(runs.get(0));
        }
        Outcome[] outcomes = new Outcome[batch.size()];
        Map<Integer, RuntimeException> causes = new LinkedHashMap<>();
        for (Plan plan : plans) {
            for (int i = 0; i < plan.outcomes().size(); i++) {
                outcomes[plan.run().positions().get(i)] = plan.outcomes().get(i);
            }
        }
        refused.forEach((run, cause) -> run.positions().forEach(position -> causes.put(position, cause)));
        for (int i = 0; i < outcomes.length; i++) {
            if (outcomes[i] == null && !causes.containsKey(i)) {
                throw new IllegalStateException("no outcome planned for " + batch.get(i).recordId());
            }
        }
        if (!causes.isEmpty()) {
            throw new ChangesRejected(Arrays.asList(outcomes), causes);
        }
        return Arrays.asList(outcomes);
    }

    /** The changes of one id, in delivery order, and where each stands in the batch. */
    public record Run(String entity, String id, List<EntityChange> changes, List<Integer> positions) {

        /**
         * Plans this run over what the replica holds: a change is applied when its version is greater than the stored
         * one and than every change applied before it; the state to write is the last applied change.
         *
         * @param stored the replica's version of the id, null if it holds nothing
         */
        public Plan plan(EntityVersion stored) {
            List<Outcome> outcomes = new ArrayList<>(changes.size());
            EntityVersion at = stored;
            EntityChange last = null;
            for (EntityChange change : changes) {
                if (at != null && !change.version().isAfter(at)) {
                    outcomes.add(Outcome.DUPLICATE);
                } else if (change.operation() != EntityOperation.DELETE && change.documentJson() == null) {
                    outcomes.add(Outcome.NO_DOCUMENT);
                } else {
                    outcomes.add(Outcome.APPLIED);
                    at = change.version();
                    last = change;
                }
            }
            return new Plan(this, outcomes, last);
        }
    }

    /**
     * @param write the state to write (the last applied change), null if nothing is new
     */
    public record Plan(Run run, List<Outcome> outcomes, EntityChange write) {

        /**
         * The lowest version of a change this plan does not skip. A plan over nothing stored is also the plan over any
         * stored version below its floor (every change it applies or finds without a document is above that version
         * too), so a writer that did not read may write it on the condition that the stored version is below the floor
         * — and its outcomes are exact when that condition held.
         */
        public EntityVersion floor() {
            EntityVersion floor = null;
            for (int i = 0; i < outcomes.size(); i++) {
                EntityVersion version = run.changes().get(i).version();
                if (outcomes.get(i) != Outcome.DUPLICATE && (floor == null || floor.isAfter(version))) {
                    floor = version;
                }
            }
            return floor;
        }
    }
}
