package dev.ferry.embedded.mongo.internals;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.NavigableSet;
import java.util.NoSuchElementException;
import java.util.TreeSet;
import java.util.function.IntPredicate;

import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.bson.Document;

/**
 * An index's entries in its key order: each document's key values, compared as the stock sort compares them
 * ({@link ValueComparator}, per key in the index's direction), ties by position — so walking it gives exactly the
 * stable sort of the collection's natural order by those keys. A document whose key holds an array sorts by a
 * different element in each direction (and matches a range by any element), so while one is held the index is not
 * {@link #ordered()} and serves nothing.
 */
final class OrderedKeys {

    /** A document's key values at its position. */
    record Entry(Object[] key, int position) {
    }

    /**
     * A point between entries: just before ({@code tail} -1) or just after (+1) every key beginning with
     * {@code prefix}. Never stored, only used to navigate.
     */
    record Bound(List<Object> prefix, int tail) {
    }

    private final List<String> fields;
    private final boolean[] ascending;
    private final boolean sparse;
    private final TreeSet<Object> entries = new TreeSet<>(this::compare);
    private int withArrays;

    OrderedKeys(List<IndexKey> keys, boolean sparse) {
        this.fields = keys.stream().map(IndexKey::getKey).toList();
        this.ascending = new boolean[keys.size()];
        for (int i = 0; i < keys.size(); i++) {
            ascending[i] = keys.get(i).isAscending();
        }
        this.sparse = sparse;
    }

    List<String> fields() {
        return fields;
    }

    boolean ascending(int field) {
        return ascending[field];
    }

    boolean sparse() {
        return sparse;
    }

    /** Whether the index holds no array value, so its order is the sort's in both directions. */
    boolean ordered() {
        return withArrays == 0;
    }

    int size() {
        return entries.size();
    }

    /** The document's key values, or null if a sparse index leaves it out (it has none of the keys). */
    Object[] keyOf(Document document) {
        Object[] key = new Object[fields.size()];
        boolean any = false;
        for (int i = 0; i < key.length; i++) {
            Object value = Utils.getSubdocumentValueCollectionAware(document, fields.get(i));
            // kept apart from the document, which updates change in place
            key[i] = value instanceof Document nested ? nested.cloneDeeply() : value;
            any |= !(value instanceof Missing);
        }
        return sparse && !any ? null : key;
    }

    void add(Document document, int position) {
        Object[] key = keyOf(document);
        if (key != null && entries.add(new Entry(key, position)) && hasArray(key)) {
            withArrays++;
        }
    }

    void remove(Document document, int position) {
        Object[] key = keyOf(document);
        if (key != null && entries.remove(new Entry(key, position)) && hasArray(key)) {
            withArrays--;
        }
    }

    void clear() {
        entries.clear();
        withArrays = 0;
    }

    /**
     * The first position, in position order, of an entry whose key equals the document's and that {@code matches}, or
     * null. Walked lazily: many documents may share a key (a purge's tombstones deleted at one instant), and a bulk
     * delete removes them in index order, so the one sought is then the first.
     */
    Integer firstPositionWithKeyOf(Document document, IntPredicate matches) {
        Object[] key = keyOf(document);
        if (key == null) {
            return null;
        }
        List<Object> prefix = Arrays.asList(key);
        for (Object entry : entries.subSet(new Bound(prefix, -1), false, new Bound(prefix, 1), false)) {
            int position = ((Entry) entry).position();
            if (matches.test(position)) {
                return position;
            }
        }
        return null;
    }

    /** Whether a sparse index's left-out documents (all keys missing) fall below {@code lower}, so none can match. */
    boolean excludesMissing(Bound lower) {
        if (lower == null) {
            return false;
        }
        Object[] missing = new Object[fields.size()];
        Arrays.fill(missing, Missing.getInstance());
        return compare(new Entry(missing, Integer.MAX_VALUE), lower) < 0;
    }

    /**
     * The entries from {@code from} (inclusive; null: the start) within the bounds (null: unbounded), forward in the
     * index's order or backward; either way ties come in position order, as the stable sort leaves them.
     */
    Iterator<Entry> walk(Bound lower, Bound upper, boolean forward, Entry from) {
        Object start = forward && from != null ? from : lower;
        if (start != null && upper != null && compare(start, upper) > 0) {
            return java.util.Collections.emptyIterator();
        }
        NavigableSet<Object> range = entries;
        if (start != null) {
            range = range.tailSet(start, true);
        }
        if (upper != null) {
            range = range.headSet(upper, true);
        }
        if (forward) {
            Iterator<Object> it = range.iterator();
            return new Iterator<>() {
                public boolean hasNext() {
                    return it.hasNext();
                }

                public Entry next() {
                    return (Entry) it.next();
                }
            };
        }
        return new TiesInPositionOrder(range.descendingIterator());
    }

    /** Compares two bounds as points of the index's order. */
    int compareBounds(Bound a, Bound b) {
        int common = Math.min(a.prefix().size(), b.prefix().size());
        for (int i = 0; i < common; i++) {
            int c = compareValues(i, a.prefix().get(i), b.prefix().get(i));
            if (c != 0) {
                return c;
            }
        }
        if (a.prefix().size() == b.prefix().size()) {
            return Integer.compare(a.tail(), b.tail());
        }
        return a.prefix().size() < b.prefix().size() ? a.tail() : -b.tail();
    }

    int compareValues(int field, Object a, Object b) {
        return (ascending[field] ? ValueComparator.asc() : ValueComparator.desc()).compare(a, b);
    }

    private int compare(Object a, Object b) {
        List<Object> keyA = valuesOf(a);
        List<Object> keyB = valuesOf(b);
        int common = Math.min(keyA.size(), keyB.size());
        for (int i = 0; i < common; i++) {
            int c = compareValues(i, keyA.get(i), keyB.get(i));
            if (c != 0) {
                return c;
            }
        }
        if (a instanceof Entry entryA && b instanceof Entry entryB) {
            return Integer.compare(entryA.position(), entryB.position());
        }
        if (a instanceof Bound boundA && b instanceof Bound boundB) {
            return compareBounds(boundA, boundB);
        }
        return a instanceof Bound bound ? bound.tail() : -((Bound) b).tail();
    }

    private static List<Object> valuesOf(Object entryOrBound) {
        return entryOrBound instanceof Entry entry ? Arrays.asList(entry.key()) : ((Bound) entryOrBound).prefix();
    }

    private static boolean hasArray(Object[] key) {
        for (Object value : key) {
            if (value instanceof Collection) {
                return true;
            }
        }
        return false;
    }

    /** A backward walk with each run of equal keys turned back to position order. */
    private final class TiesInPositionOrder implements Iterator<Entry> {

        private final Iterator<Object> backward;
        private final Deque<Entry> run = new ArrayDeque<>();
        private Entry next;

        TiesInPositionOrder(Iterator<Object> backward) {
            this.backward = backward;
        }

        @Override
        public boolean hasNext() {
            if (run.isEmpty() && next == null && backward.hasNext()) {
                next = (Entry) backward.next();
            }
            if (run.isEmpty() && next != null) {
                Entry first = next;
                next = null;
                run.push(first);
                while (backward.hasNext()) {
                    Entry entry = (Entry) backward.next();
                    if (sameKey(entry, first)) {
                        run.push(entry);
                    } else {
                        next = entry;
                        break;
                    }
                }
            }
            return !run.isEmpty();
        }

        @Override
        public Entry next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return run.pop();
        }

        private boolean sameKey(Entry a, Entry b) {
            for (int i = 0; i < a.key().length; i++) {
                if (compareValues(i, a.key()[i], b.key()[i]) != 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
