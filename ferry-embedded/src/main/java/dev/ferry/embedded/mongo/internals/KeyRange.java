package dev.ferry.embedded.mongo.internals;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.BinData;
import de.bwaldvogel.mongo.bson.BsonTimestamp;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;
import dev.ferry.embedded.mongo.internals.OrderedKeys.Bound;

/**
 * The part of an index a query can match in: bounds every matching document's key lies within, derived from the
 * query's equality and range conditions on the index's leading (ascending) keys — equality on a prefix, then a range
 * on the next key — through {@code $and} (bounds intersect) and {@code $or} (they unite), as a Ferry copy's keyset
 * page asks {@code {$or: [{k1: {$gt: v1}}, {k1: v1, k2: {$gt: v2}}]}}. Conditions it does not understand only leave
 * the range wider: the matcher still decides each candidate, so the bounds need only contain every match.
 *
 * @param lower null: unbounded
 * @param upper null: unbounded
 */
record KeyRange(Bound lower, Bound upper) {

    private static final KeyRange ALL = new KeyRange(null, null);

    boolean bounded() {
        return lower != null || upper != null;
    }

    static KeyRange of(Document query, OrderedKeys index) {
        return of(query, index, Map.of());
    }

    /**
     * The range of a conjunction under the field intervals its enclosing conjunction already sets: each {@code $or}
     * alternative is taken together with them, so {@code {k1: v1, $or: [{k2: {$gt: v2}}, ...]}} narrows to k1 = v1
     * and k2 > v2.
     */
    private static KeyRange of(Document query, OrderedKeys index, Map<String, Interval> enclosing) {
        Map<String, Interval> intervals = new HashMap<>(enclosing);
        List<Collection<?>> disjunctions = new ArrayList<>();
        collect(query, index, intervals, disjunctions);
        KeyRange range = tuple(intervals, index);
        for (Collection<?> alternatives : disjunctions) {
            range = range.intersect(union(alternatives, index, intervals), index);
        }
        return range;
    }

    /** Gathers the conjunction's field intervals, and the alternatives of each {@code $or} in it. */
    private static void collect(Document conjunction, OrderedKeys index, Map<String, Interval> intervals,
                                List<Collection<?>> disjunctions) {
        for (Map.Entry<String, Object> condition : conjunction.entrySet()) {
            String field = condition.getKey();
            Object value = condition.getValue();
            if (field.equals("$and") && value instanceof Collection<?> clauses) {
                for (Object clause : clauses) {
                    if (clause instanceof Document conditions) {
                        collect(conditions, index, intervals, disjunctions);
                    }
                }
            } else if (field.equals("$or") && value instanceof Collection<?> clauses) {
                disjunctions.add(clauses);
            } else if (index.fields().contains(field)) {
                int position = index.fields().indexOf(field);
                Interval interval = Interval.of(value, index, position);
                if (interval != null) {
                    intervals.merge(field, interval, (a, b) -> a.intersect(b, index, position));
                }
            }
        }
    }

    private static KeyRange union(Collection<?> clauses, OrderedKeys index, Map<String, Interval> enclosing) {
        KeyRange union = null;
        for (Object clause : clauses) {
            if (!(clause instanceof Document alternative)) {
                return ALL;
            }
            KeyRange range = of(alternative, index, enclosing);
            union = union == null ? range : new KeyRange(
                union.lower == null || range.lower == null ? null : min(union.lower, range.lower, index),
                union.upper == null || range.upper == null ? null : max(union.upper, range.upper, index));
        }
        return union == null ? ALL : union;
    }

    private KeyRange intersect(KeyRange other, OrderedKeys index) {
        return new KeyRange(lower == null ? other.lower : other.lower == null ? lower : max(lower, other.lower, index),
            upper == null ? other.upper : other.upper == null ? upper : min(upper, other.upper, index));
    }

    /** Equality on the leading keys, then the next key's interval; only ascending keys (no query here needs more). */
    private static KeyRange tuple(Map<String, Interval> intervals, OrderedKeys index) {
        List<Object> prefix = new ArrayList<>();
        for (int i = 0; i < index.fields().size() && index.ascending(i); i++) {
            Interval interval = intervals.get(index.fields().get(i));
            if (interval == null) {
                break;
            }
            if (interval.isPoint(index, i)) {
                prefix.add(interval.low);
                continue;
            }
            return new KeyRange(interval.low == Interval.NONE ? (prefix.isEmpty() ? null : new Bound(prefix, -1))
                : new Bound(with(prefix, interval.low), interval.lowIncluded ? -1 : 1),
                interval.high == Interval.NONE ? (prefix.isEmpty() ? null : new Bound(prefix, 1))
                    : new Bound(with(prefix, interval.high), interval.highIncluded ? 1 : -1));
        }
        return prefix.isEmpty() ? ALL : new KeyRange(new Bound(prefix, -1), new Bound(prefix, 1));
    }

    private static List<Object> with(List<Object> prefix, Object value) {
        List<Object> values = new ArrayList<>(prefix);
        values.add(value);
        return values;
    }

    private static Bound min(Bound a, Bound b, OrderedKeys index) {
        return index.compareBounds(a, b) <= 0 ? a : b;
    }

    private static Bound max(Bound a, Bound b, OrderedKeys index) {
        return index.compareBounds(a, b) >= 0 ? a : b;
    }

    /** The values one field's conditions allow; {@link #NONE} for an open end. */
    private record Interval(Object low, boolean lowIncluded, Object high, boolean highIncluded) {

        static final Object NONE = new Object();

        /** The interval of a field condition, or null if it states none this index can use. */
        static Interval of(Object condition, OrderedKeys index, int field) {
            if (isComparable(condition)) {
                return new Interval(condition, true, condition, true);
            }
            if (!(condition instanceof Document operators) || operators.isEmpty()
                || !operators.keySet().stream().allMatch(key -> key.startsWith("$"))) {
                return null;
            }
            Interval interval = null;
            for (Map.Entry<String, Object> operator : operators.entrySet()) {
                Object value = operator.getValue();
                if (operator.getKey().equals("$type")) {
                    Interval types = ofTypes(value);
                    if (types != null) {
                        interval = interval == null ? types : interval.intersect(types, index, field);
                    }
                    continue;
                }
                if (!isComparable(value)) {
                    continue;
                }
                // The matcher compares only values of one type, so a range with a value never matches null or a
                // missing field: its matches all lie above null (which a sparse index leaves out).
                Object aboveNull = value == null || value instanceof Missing ? NONE : null;
                Interval next = switch (operator.getKey()) {
                    case "$eq" -> new Interval(value, true, value, true);
                    case "$gt" -> new Interval(value, false, NONE, false);
                    case "$gte" -> new Interval(value, true, NONE, false);
                    case "$lt" -> new Interval(aboveNull, false, value, false);
                    case "$lte" -> new Interval(aboveNull, false, value, true);
                    default -> null;
                };
                if (next != null) {
                    interval = interval == null ? next : interval.intersect(next, index, field);
                }
            }
            return interval;
        }

        /**
         * The values of the listed BSON types (as codes) lie at or above the least value of the lowest of them — how
         * a copy's keyset page asks for the values of the types that sort after its position's. Arrays and patterns
         * have no least value here: an ordered index holds no arrays, and patterns sort after every other type, so
         * either only counts beside a lower type.
         */
        private static Interval ofTypes(Object types) {
            Collection<?> codes = types instanceof Collection<?> list ? list : List.of(types);
            Object least = NONE;
            for (Object code : codes) {
                if (!(code instanceof Number number) || number.doubleValue() != number.intValue()) {
                    return null;
                }
                int type = number.intValue();
                if (type == 4 || type == 11) {
                    continue;
                }
                Object value = switch (type) {
                    case 1, 16, 18, 19 -> Double.NEGATIVE_INFINITY;
                    case 2 -> "";
                    case 3 -> new Document();
                    case 5 -> new BinData(new byte[0]);
                    case 7 -> new ObjectId(new byte[12]);
                    case 8 -> Boolean.FALSE;
                    case 9 -> Instant.MIN;
                    case 10 -> null;
                    case 17 -> new BsonTimestamp(0);
                    default -> NONE;
                };
                if (value == NONE) {
                    return null; // MinKey, MaxKey, deprecated types: leave the range open
                }
                if (least == NONE || ValueComparator.asc().compare(value, least) < 0) {
                    least = value;
                }
            }
            return least == NONE ? null : new Interval(least, true, NONE, false);
        }

        /** Values the stock comparator orders as the matcher compares them (no arrays, documents, patterns). */
        private static boolean isComparable(Object value) {
            return value == null || value instanceof Missing || value instanceof Number || value instanceof String
                || value instanceof Boolean || value instanceof ObjectId || value instanceof Instant
                || value instanceof BsonTimestamp;
        }

        Interval intersect(Interval other, OrderedKeys index, int field) {
            Object newLow = low;
            boolean newLowIncluded = lowIncluded;
            if (newLow == NONE || (other.low != NONE && compareLow(other, index, field) > 0)) {
                newLow = other.low;
                newLowIncluded = other.lowIncluded;
            }
            Object newHigh = high;
            boolean newHighIncluded = highIncluded;
            if (newHigh == NONE || (other.high != NONE && compareHigh(other, index, field) < 0)) {
                newHigh = other.high;
                newHighIncluded = other.highIncluded;
            }
            return new Interval(newLow, newLowIncluded, newHigh, newHighIncluded);
        }

        private int compareLow(Interval other, OrderedKeys index, int field) {
            int c = index.compareValues(field, other.low, low);
            return c != 0 ? c : Boolean.compare(lowIncluded, other.lowIncluded); // excluded is the tighter
        }

        private int compareHigh(Interval other, OrderedKeys index, int field) {
            int c = index.compareValues(field, other.high, high);
            return c != 0 ? c : Boolean.compare(other.highIncluded, highIncluded);
        }

        boolean isPoint(OrderedKeys index, int field) {
            return low != NONE && high != NONE && lowIncluded && highIncluded
                && index.compareValues(field, low, high) == 0;
        }
    }
}
