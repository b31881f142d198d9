package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.util.List;

import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.bson.Document;

/**
 * How a query is answered from an ordered index: the key range its matches lie in ({@link KeyRange}), and whether
 * walking that range in the index's order (forward or backward) is already the query's sort — then a limit stops the
 * walk after skip + limit matches, so a keyset page of a large collection examines about one page.
 *
 * @param sorted  whether the walk's order is the query's sort
 * @param forward the direction of the walk
 */
record IndexPlan(OrderedKeys index, KeyRange range, boolean sorted, boolean forward) {

    /** The best plan over the collection's ordered indexes, or null: scan (nothing narrows the query or its sort). */
    static IndexPlan choose(List<Index<Integer>> indexes, Document query, Document orderBy) {
        boolean wantsSort = orderBy != null && !orderBy.isEmpty();
        if (wantsSort && orderBy.keySet().iterator().next().equals("$natural")) {
            return null;
        }
        IndexPlan best = null;
        for (Index<Integer> index : indexes) {
            OrderedKeys keys = index instanceof OrderedIndex ordered ? ordered.orderedKeys()
                : index instanceof NarrowingUniqueIndex unique ? unique.orderedKeys() : null;
            if (keys == null || !keys.ordered()) {
                continue;
            }
            KeyRange range = KeyRange.of(query, keys);
            if (keys.sparse() && !keys.excludesMissing(range.lower())) {
                continue; // the documents it leaves out could match
            }
            Boolean forward = wantsSort ? direction(keys, orderBy) : null;
            IndexPlan plan = new IndexPlan(keys, range, forward != null, forward == null || forward);
            if ((range.bounded() || plan.sorted()) && (best == null || plan.rank() > best.rank())) {
                best = plan;
            }
        }
        return best;
    }

    /** A range that is also the sort first, then a range, then a sort alone. */
    private int rank() {
        return (range.bounded() ? 2 : 0) + (sorted ? 1 : 0);
    }

    /** True if the sort is the index's order, false if it is its exact reverse, else null. */
    private static Boolean direction(OrderedKeys keys, Document orderBy) {
        if (!new ArrayList<>(orderBy.keySet()).equals(keys.fields())) {
            return null;
        }
        boolean same = true;
        boolean reversed = true;
        int i = 0;
        for (Object value : orderBy.values()) {
            if (!(value instanceof Number direction) || Math.abs(direction.doubleValue()) != 1) {
                return null;
            }
            boolean ascending = direction.doubleValue() > 0;
            same &= ascending == keys.ascending(i);
            reversed &= ascending != keys.ascending(i);
            i++;
        }
        return same ? Boolean.TRUE : reversed ? Boolean.FALSE : null;
    }
}
