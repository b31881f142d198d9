package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.stream.Stream;

/**
 * The first {@code n} documents of a sort, chosen in one pass with a bounded heap instead of sorting them all: the
 * stock memory backend sorts every match before applying a limit, which makes each keyset page of a large
 * collection (a relay's copy reads 1,000 at a time) cost a full sort. Ties keep their encounter order, so the
 * result is exactly the stable sort's first {@code n}.
 */
final class SortedSelection {

    private SortedSelection() {
    }

    /** The documents among the first {@code n} of the stable sort by {@code order}, in encounter order. */
    static <T> Stream<T> firstOf(Stream<T> documents, Comparator<? super T> order, int n) {
        Comparator<Numbered<T>> sortOrder = Comparator.<Numbered<T>, T>comparing(Numbered::value, order)
            .thenComparingLong(Numbered::index);
        PriorityQueue<Numbered<T>> kept = new PriorityQueue<>(n + 1, sortOrder.reversed()); // head: the last kept
        long index = 0;
        for (Iterator<T> it = documents.iterator(); it.hasNext(); index++) {
            Numbered<T> next = new Numbered<>(it.next(), index);
            if (kept.size() < n) {
                kept.add(next);
            } else if (sortOrder.compare(next, kept.peek()) < 0) {
                kept.poll();
                kept.add(next);
            }
        }
        List<Numbered<T>> chosen = new ArrayList<>(kept);
        chosen.sort(Comparator.comparingLong(Numbered::index));
        return chosen.stream().map(Numbered::value);
    }

    private record Numbered<T>(T value, long index) {
    }
}
