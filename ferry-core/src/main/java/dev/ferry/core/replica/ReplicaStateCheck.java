package dev.ferry.core.replica;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import dev.ferry.core.event.EntityVersion;

/**
 * Checks a replica's independent write log against the source's own history, for what {@link ReplicaHistoryCheck}
 * cannot see: versions that ascend while the <em>states</em> they carry go back (a copy that reads a document after
 * it changed and publishes it at a version from before the change, followed by the change itself at a higher one).
 * <p>
 * The source's writers put a per-id increasing counter, {@code seq}, in every state they write; the source's history
 * is every change of the collection (read from its own change stream, each change's version computed as Ferry
 * computes it). The truth of an id at a version is the last change of the id at or below that version (a copied
 * write carries position 0, so it sits just below any change at its cluster time). Every write must show that truth:
 * <ul>
 *   <li>a <b>regression</b>: a live state older (lower seq) than the truth at its version;</li>
 *   <li><b>ahead</b>: a live state newer than the truth at its version — the changes between, published at their own
 *       (higher) versions, then take the replica back. The one exception is a write at the exact version of an update:
 *       an update read without a post-image carries the document as it was when the stream read it (MongoDB's update
 *       lookup), which may be newer; it must still be a state the id really had after the update;</li>
 *   <li>a <b>resurrection</b>: a live state where the truth is deleted (or the id not created yet);</li>
 *   <li>a <b>stale delete</b>: a delete where the truth is live;</li>
 *   <li>an <b>unknown state</b>: a live write without a seq, or with a seq the id never had.</li>
 * </ul>
 * With every write equal to the truth at its version and versions ascending per id ({@link ReplicaHistoryCheck}), the
 * states a replica shows follow the source's order. Besides, {@link Verdict#wentBack()} counts what a reader of the
 * replica saw: a write showing a state older in the source's order than one already shown for the id (a live state
 * after its delete was shown, a delete after a later re-create, an older seq after a newer one). It is reported, not
 * judged: an update lookup's newer state followed by a replace's own can do that too.
 * Fed by one thread at a time.
 */
public final class ReplicaStateCheck {

    /** Examples kept per kind of mismatch, so a failure shows what happened without flooding the output. */
    private static final int EXAMPLES_PER_KIND = 4;

    /** What a source change did to the id's state. */
    public enum Operation {
        /** An insert or a replace: the change carries the state itself. */
        WRITE,
        /** An update in place: the state after it. */
        UPDATE,
        DELETE
    }

    /**
     * One change of the source, as the source's own change stream told it.
     *
     * @param seq the seq of the state after the change (a delete: the seq of the state it deleted, unused)
     */
    public record SourceChange(String id, EntityVersion version, Operation operation, long seq) {

        public SourceChange {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(operation, "operation");
        }
    }

    private final Map<String, History> histories = new HashMap<>();
    /** Per id, the latest place in its source history that a write has shown so far. */
    private final Map<String, Integer> shown = new HashMap<>();
    private final Map<String, List<String>> examples = new TreeMap<>();
    private long writes;
    private long regressions;
    private long ahead;
    private long resurrections;
    private long staleDeletes;
    private long unknownStates;
    private long wentBack;

    /** @param sourceChanges every change of the source collection, in any order (each id's are ordered by version) */
    public ReplicaStateCheck(Collection<SourceChange> sourceChanges) {
        Map<String, List<SourceChange>> byId = new HashMap<>();
        sourceChanges.forEach(change -> byId.computeIfAbsent(change.id(), id -> new ArrayList<>()).add(change));
        byId.forEach((id, changes) -> histories.put(id, new History(changes)));
    }

    /**
     * @param seq the seq of the written document; null for a tombstone, or where the log could not tell
     */
    public synchronized void record(ReplicaWrite write, Long seq) {
        writes++;
        History history = histories.getOrDefault(write.id(), History.NONE);
        int at = history.floor(write.version());
        SourceChange truth = at < 0 ? null : history.changes.get(at);
        boolean truthLive = truth != null && truth.operation() != Operation.DELETE;
        String where = write.id() + " at " + write.version() + ": ";
        if (write.deleted()) {
            if (truthLive) {
                staleDeletes++;
                example("stale delete", where + "deleted, where the source held seq " + truth.seq());
            }
            if (at >= 0) {
                shown(write.id(), at, where + "deleted");
            }
            return;
        }
        int written = seq == null ? -1 : history.firstWith(seq);
        if (seq == null || written < 0) {
            unknownStates++;
            example("unknown state", where + (seq == null ? "a live document without seq" : "seq " + seq
                + ", a state the source never had"));
            return;
        }
        if (!truthLive) {
            resurrections++;
            example("resurrection", where + "seq " + seq + " live, where the source had "
                + (truth == null ? "not created it yet" : "deleted it (at " + truth.version() + ")"));
        } else if (seq < truth.seq()) {
            regressions++;
            example("regression", where + "seq " + seq + ", older than the source's seq " + truth.seq());
        } else if (seq > truth.seq() && !(truth.operation() == Operation.UPDATE
            && truth.version().equals(write.version()) && written > at)) {
            ahead++;
            example("ahead", where + "seq " + seq + " (the source's at " + history.changes.get(written).version()
                + "), newer than the source's seq " + truth.seq() + ": the changes between take the replica back");
        }
        shown(write.id(), written, where + "seq " + seq);
    }

    public synchronized Verdict verdict() {
        List<String> listed = new ArrayList<>();
        examples.forEach((kind, lines) -> lines.forEach(line -> listed.add(kind + ": " + line)));
        return new Verdict(writes, regressions, ahead, resurrections, staleDeletes, unknownStates, wentBack,
            List.copyOf(listed));
    }

    private void shown(String id, int place, String what) {
        Integer before = shown.get(id);
        if (before != null && place < before) {
            wentBack++;
            example("went back", what + ", after the replica showed a later state of the source (change "
                + (before + 1) + " of the id, this is change " + (place + 1) + ")");
        } else {
            shown.put(id, place);
        }
    }

    private void example(String kind, String text) {
        List<String> kept = examples.computeIfAbsent(kind, k -> new ArrayList<>());
        if (kept.size() < EXAMPLES_PER_KIND) {
            kept.add(text);
        }
    }

    /** One id's source changes in version order. */
    private static final class History {

        static final History NONE = new History(List.of());

        final List<SourceChange> changes;
        final TreeMap<EntityVersion, Integer> places = new TreeMap<>();
        /** Per seq, the first live change that showed it. */
        final Map<Long, Integer> firstWithSeq = new HashMap<>();

        History(List<SourceChange> unordered) {
            changes = unordered.stream().sorted((a, b) -> a.version().compareTo(b.version())).toList();
            for (int i = 0; i < changes.size(); i++) {
                SourceChange change = changes.get(i);
                if (places.put(change.version(), i) != null) {
                    throw new IllegalArgumentException("two source changes of " + change.id() + " at "
                        + change.version());
                }
                if (change.operation() != Operation.DELETE) {
                    firstWithSeq.putIfAbsent(change.seq(), i);
                }
            }
        }

        /** The place of the last change at or below {@code version}; -1 if none. */
        int floor(EntityVersion version) {
            Map.Entry<EntityVersion, Integer> entry = places.floorEntry(version);
            return entry == null ? -1 : entry.getValue();
        }

        int firstWith(long seq) {
            return firstWithSeq.getOrDefault(seq, -1);
        }
    }

    /**
     * @param wentBack what a reader of the replica saw go back (reported, not judged: see the class comment)
     * @param examples the first few of each kind, described
     */
    public record Verdict(long writes, long regressions, long ahead, long resurrections, long staleDeletes,
                          long unknownStates, long wentBack, List<String> examples) {

        /** Every write showed the source's state at its version. */
        public boolean clean() {
            return regressions == 0 && ahead == 0 && resurrections == 0 && staleDeletes == 0 && unknownStates == 0;
        }

        @Override
        public String toString() {
            return writes + " writes: " + regressions + " regressions, " + ahead + " ahead of their version, "
                + resurrections + " resurrections, " + staleDeletes + " stale deletes, " + unknownStates
                + " unknown states; " + wentBack + " went back as a reader saw it" + (examples.isEmpty() ? ""
                : "; e.g. " + String.join("; ", examples));
        }
    }
}
