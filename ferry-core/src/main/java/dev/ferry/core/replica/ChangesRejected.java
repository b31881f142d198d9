package dev.ferry.core.replica;

import java.util.Collections;
import java.util.List;
import java.util.Map;

import dev.ferry.core.replica.ReplicaWriter.Outcome;

/**
 * The target refused some changes of a batch for what they hold (a value its column's type does not take, a string
 * it cannot store, a document too large or with a field name it does not allow) and wrote the others: only the refused
 * changes' ids are the caller's to retry or park, the others have their outcomes. A refused change takes every change
 * of its id in the batch with it (a writer writes an id's last state only): none of them is written.
 */
public final class ChangesRejected extends RuntimeException {

    private final transient List<Outcome> outcomes;
    private final transient Map<Integer, RuntimeException> causes;

    /**
     * @param outcomes one per change of the batch, in its order: null where the change was refused
     * @param causes   why, by the refused change's position in the batch
     */
    public ChangesRejected(List<Outcome> outcomes, Map<Integer, RuntimeException> causes) {
        super(causes.size() + " of " + outcomes.size() + " changes refused by the target, the others written; first: "
            + causes.values().iterator().next().getMessage(), causes.values().iterator().next());
        this.outcomes = Collections.unmodifiableList(outcomes);
        this.causes = Map.copyOf(causes);
    }

    /** One per change of the batch, in its order: the outcome of a written change, null for a refused one. */
    public List<Outcome> outcomes() {
        return outcomes;
    }

    /** Why each refused change was refused, by its position in the batch. */
    public Map<Integer, RuntimeException> causes() {
        return causes;
    }
}
