package dev.ferry.engine;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;

/**
 * Which owned partitions are paused, and why: backpressure (too much buffered in the lanes) pauses all of them; an
 * open circuit breaker pauses those whose events hit the dependency. Lane threads ask for pauses and resumes; the
 * polling thread carries them out, since only it may touch the subscription.
 */
final class PartitionControl {

    private static final Logger log = LoggerFactory.getLogger(PartitionControl.class);

    private final String projection;
    private final Set<PartitionId> breakerPaused = ConcurrentHashMap.newKeySet();
    private final ConcurrentLinkedQueue<Runnable> actions = new ConcurrentLinkedQueue<>();
    private PartitionedSubscription subscription;
    private boolean backpressurePaused;

    PartitionControl(String projection) {
        this.projection = projection;
    }

    /** Binds the subscription the polling thread works with. */
    void bind(PartitionedSubscription subscription) {
        this.subscription = subscription;
    }

    // ---- any thread ----

    /** A dependency is down for an event of {@code partition}: stop fetching it until a probe succeeds. */
    void pauseForBreaker(PartitionId partition) {
        if (breakerPaused.add(partition)) {
            log.warn("{}: a dependency, or the store written, is down; pausing {} until a probe succeeds", projection,
                partition);
            actions.add(() -> {
                if (subscription.owned().contains(partition)) {
                    subscription.pause(Set.of(partition));
                }
            });
        }
    }

    boolean isBreakerPaused(PartitionId partition) {
        return breakerPaused.contains(partition);
    }

    boolean anyBreakerPaused() {
        return !breakerPaused.isEmpty();
    }

    /** A call got through: resume every partition a breaker paused (unless backpressure holds them). */
    void resumeAfterBreaker() {
        Set<PartitionId> resume = new HashSet<>(breakerPaused);
        breakerPaused.removeAll(resume);
        log.info("projector {}: dependency back; resuming {}", projection, resume);
        actions.add(() -> {
            Set<PartitionId> owned = new HashSet<>(resume);
            owned.retainAll(subscription.owned());
            if (!backpressurePaused) {
                subscription.resume(owned);
            }
        });
    }

    Set<PartitionId> breakerPaused() {
        return Set.copyOf(breakerPaused);
    }

    // ---- polling thread ----

    void runRequestedActions() {
        for (Runnable action = actions.poll(); action != null; action = actions.poll()) {
            action.run();
        }
    }

    /** Stops fetching while too much is buffered in the lanes; resumes below half of it. */
    void applyBackpressure(int queued, int maxBuffered) {
        // What is owned is asked only on a change: every poll asking made a set of the assignment each time.
        if (!backpressurePaused && queued >= maxBuffered) {
            subscription.pause(subscription.owned());
            backpressurePaused = true;
        } else if (backpressurePaused && queued < maxBuffered / 2) {
            Set<PartitionId> resume = new HashSet<>(subscription.owned());
            resume.removeAll(breakerPaused);
            subscription.resume(resume);
            backpressurePaused = false;
        }
    }

    /** Newly owned partitions start paused while backpressure holds the others. */
    void gained(Collection<PartitionId> partitions) {
        if (backpressurePaused) {
            subscription.pause(partitions);
        }
    }

    void gone(Collection<PartitionId> partitions) {
        breakerPaused.removeAll(partitions);
    }
}
