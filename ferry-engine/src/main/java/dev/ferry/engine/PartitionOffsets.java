package dev.ferry.engine;

import java.time.Clock;
import java.time.Instant;

/**
 * The offsets of one partition that are in flight in this assignment. Records finish out of order (different
 * aggregates run in parallel); the committable offset is the lowest unfinished one, so a commit never passes a
 * record that is not done. It also tells since when its records have waited with none finished: a partition that
 * makes no progress.
 */
final class PartitionOffsets {

    private final Clock clock;
    /**
     * The offsets in flight, ascending, in a ring: {@code offsets[(head + i) & mask]} for i below size, with whether
     * each is finished. Records arrive in offset order, so adding appends; a finished one is dropped once all before
     * it are. (A sorted set of boxed offsets cost two objects per record.)
     */
    private long[] offsets = new long[64];
    private boolean[] finished = new boolean[64];
    private int head;
    private int size;
    private int unfinished;
    private long nextAfterSeen = -1;
    private long committed = -1;
    /** Epoch millis of the last progress while records wait (one arrived into none, or one finished); -1: none wait. */
    private long waitingSinceMillis = -1;
    private volatile boolean revoked;

    PartitionOffsets() {
        this(Clock.systemUTC());
    }

    PartitionOffsets(Clock clock) {
        this.clock = clock;
    }

    synchronized void add(long offset) {
        int at = size == 0 || offset > at(size - 1) ? size : search(offset);
        if (at < size && at(at) == offset) {
            if (!finished[index(at)]) {
                return; // already in flight
            }
        } else {
            insert(at, offset);
        }
        if (unfinished == 0) {
            waitingSinceMillis = clock.millis();
        }
        finished[index(at)] = false;
        unfinished++;
        nextAfterSeen = Math.max(nextAfterSeen, offset + 1);
    }

    synchronized void finish(long offset) {
        int at = size == 0 ? 0 : search(offset);
        if (at >= size || at(at) != offset || finished[index(at)]) {
            return;
        }
        finished[index(at)] = true;
        unfinished--;
        while (size > 0 && finished[head]) {
            head = (head + 1) & (offsets.length - 1);
            size--;
        }
        waitingSinceMillis = unfinished == 0 ? -1 : clock.millis();
    }

    /** Since when records have waited here with none finished; null while none wait. */
    synchronized Instant waitingSince() {
        return waitingSinceMillis < 0 ? null : Instant.ofEpochMilli(waitingSinceMillis);
    }

    /** The offset to commit (the next record to read after a restart), or -1 if nothing new is committable. */
    synchronized long committable() {
        long candidate = unfinished == 0 ? nextAfterSeen : at(0); // the head is never a finished one
        return candidate > committed ? candidate : -1;
    }

    synchronized void committed(long offset) {
        committed = Math.max(committed, offset);
    }

    synchronized int inFlight() {
        return unfinished;
    }

    /** This assignment ended: its unfinished records are abandoned and will be re-delivered to the next owner. */
    void revoke() {
        revoked = true;
    }

    boolean isRevoked() {
        return revoked;
    }

    private int index(int i) {
        return (head + i) & (offsets.length - 1);
    }

    private long at(int i) {
        return offsets[index(i)];
    }

    /** The position of the first offset not below {@code offset} (size if none). */
    private int search(long offset) {
        int low = 0;
        int high = size;
        while (low < high) {
            int middle = (low + high) >>> 1;
            if (at(middle) < offset) {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        return low;
    }

    /** Inserts at position {@code at}, moving the later ones up (only an offset below the last one, rare). */
    private void insert(int at, long offset) {
        if (size == offsets.length) {
            grow();
        }
        for (int i = size; i > at; i--) {
            offsets[index(i)] = offsets[index(i - 1)];
            finished[index(i)] = finished[index(i - 1)];
        }
        offsets[index(at)] = offset;
        finished[index(at)] = false;
        size++;
    }

    private void grow() {
        long[] moreOffsets = new long[offsets.length * 2];
        boolean[] moreFinished = new boolean[offsets.length * 2];
        for (int i = 0; i < size; i++) {
            moreOffsets[i] = at(i);
            moreFinished[i] = finished[index(i)];
        }
        offsets = moreOffsets;
        finished = moreFinished;
        head = 0;
    }
}
