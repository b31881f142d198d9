package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Change-stream getMores that found nothing new, waiting as a real server's do: each is answered when the oplog grows
 * (it is tried again and answered if it then finds something) or when its await time ends (answered with what it
 * finds then, possibly nothing but a newer post-batch resume token). Waiting takes no thread: the main lane goes on
 * with other commands meanwhile, and every try runs on the main lane, so a getMore is never answered twice.
 */
final class WaitingGetMores implements AutoCloseable {

    /** One try of a getMore, on the main lane. */
    interface Attempt {

        /**
         * Runs the getMore and answers the client if it found something, failed, or {@code last} is true.
         *
         * @return whether the client was answered (or is gone)
         */
        boolean answerIfAny(boolean last);
    }

    private final CommandLanes lanes;
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, runnable -> {
        Thread thread = new Thread(runnable, "embedded-mongo-await-timer");
        thread.setDaemon(true);
        return thread;
    });
    /** Counts the oplog's growths, so a getMore that found nothing can tell whether the oplog grew meanwhile. */
    private final AtomicLong growths = new AtomicLong();
    /** Touched on the main lane only. */
    private final List<Waiting> waiting = new ArrayList<>();
    private volatile int count;
    private final AtomicBoolean wakeQueued = new AtomicBoolean();

    WaitingGetMores(CommandLanes lanes) {
        this.lanes = lanes;
        timer.setRemoveOnCancelPolicy(true); // a getMore answered early leaves no timer behind
    }

    /** On the main lane: answers at once if the getMore finds something, else lets it wait until {@code deadline}. */
    void tryOrWait(Attempt attempt, long deadlineNanos) {
        long grown = growths.get();
        long now = System.nanoTime();
        if (attempt.answerIfAny(now >= deadlineNanos)) {
            return;
        }
        Waiting entry = new Waiting(attempt, deadlineNanos);
        waiting.add(entry);
        count = waiting.size();
        entry.timeout = timer.schedule(() -> lanes.onMain(() -> expire(entry)), deadlineNanos - now,
            TimeUnit.NANOSECONDS);
        if (growths.get() != grown) {
            queueWake(); // the small lane appended while this getMore looked: it saw no one waiting
        }
    }

    /** The oplog grew (called on any lane, inside the oplog's append): the waiting getMores try again. */
    void oplogGrew() {
        growths.incrementAndGet();
        if (count > 0) {
            queueWake();
        }
    }

    private void queueWake() {
        if (wakeQueued.compareAndSet(false, true)) {
            lanes.onMain(this::wake);
        }
    }

    private void wake() {
        wakeQueued.set(false);
        List<Waiting> trying = new ArrayList<>(waiting);
        waiting.clear();
        for (Waiting entry : trying) {
            if (entry.attempt.answerIfAny(System.nanoTime() >= entry.deadlineNanos)) {
                entry.timeout.cancel(false);
            } else {
                waiting.add(entry);
            }
        }
        count = waiting.size();
    }

    private void expire(Waiting entry) {
        if (waiting.remove(entry)) {
            count = waiting.size();
            entry.attempt.answerIfAny(true);
        }
    }

    /** How many getMores wait now. */
    int count() {
        return count;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }

    private static final class Waiting {
        final Attempt attempt;
        final long deadlineNanos;
        ScheduledFuture<?> timeout;

        Waiting(Attempt attempt, long deadlineNanos) {
            this.attempt = attempt;
            this.deadlineNanos = deadlineNanos;
        }
    }
}
