package dev.ferry.core.replica;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.core.event.EntityVersion;

/**
 * Reads a replica's independent write log, in the order the writes happened, and counts each way the replica went
 * back in time: an <b>order violation</b> is a write of a version lower than one already written for the id; a
 * <b>resurrection</b> is a write of a live document with a version lower than a delete already written for the id (it
 * is an order violation too); a <b>repeat</b> is the same version written twice (a change applied twice). Fed by
 * one thread at a time.
 */
public final class ReplicaHistoryCheck {

    /** Examples kept in the verdict, so a failure shows what happened without flooding the output. */
    private static final int EXAMPLES = 10;

    private final Map<String, EntityVersion> highest = new HashMap<>();
    private final Map<String, EntityVersion> highestDelete = new HashMap<>();
    private final List<String> examples = new ArrayList<>();
    private long writes;
    private long orderViolations;
    private long resurrections;
    private long repeats;

    public synchronized void record(ReplicaWrite write) {
        writes++;
        EntityVersion before = highest.get(write.id());
        if (before != null && write.version().compareTo(before) < 0) {
            orderViolations++;
            example("order violation: " + write.id() + " written at " + write.version() + " after " + before);
        } else if (before != null && write.version().equals(before)) {
            repeats++;
            example("repeat: " + write.id() + " written at " + write.version() + " twice");
        }
        EntityVersion deletedAt = highestDelete.get(write.id());
        if (!write.deleted() && deletedAt != null && write.version().compareTo(deletedAt) < 0) {
            resurrections++;
            example("resurrection: " + write.id() + " written live at " + write.version() + " after its delete at " + deletedAt);
        }
        if (before == null || write.version().isAfter(before)) {
            highest.put(write.id(), write.version());
        }
        if (write.deleted() && (deletedAt == null || write.version().isAfter(deletedAt))) {
            highestDelete.put(write.id(), write.version());
        }
    }

    public synchronized void recordAll(Iterable<ReplicaWrite> writes) {
        writes.forEach(this::record);
    }

    public synchronized Verdict verdict() {
        return new Verdict(writes, orderViolations, resurrections, repeats, List.copyOf(examples));
    }

    private void example(String text) {
        if (examples.size() < EXAMPLES) {
            examples.add(text);
        }
    }

    /**
     * @param examples the first few violations, described
     */
    public record Verdict(long writes, long orderViolations, long resurrections, long repeats, List<String> examples) {

        /** Nothing went back in time and nothing was applied twice. */
        public boolean clean() {
            return orderViolations == 0 && resurrections == 0 && repeats == 0;
        }
    }
}
