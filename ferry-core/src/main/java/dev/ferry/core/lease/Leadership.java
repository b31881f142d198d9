package dev.ferry.core.lease;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps or contends for one lease on a background thread: renews while holding it, takes it over when a
 * standby sees it expire. The holder trusts its leadership only until {@code ttl - margin} after it sent its
 * last successful renewal, by its own monotonic clock; the standby takes over no earlier than {@code ttl}
 * after it last saw the lease change. Work done under the lease must check {@link #isValid(long)}.
 */
public final class Leadership implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Leadership.class);

    private final LeaseStore store;
    private final String name;
    private final String instanceId;
    private final LeaseTiming timing;
    private final LongSupplier nanoTime;
    private final LeaseObserver observer;
    private final ScheduledExecutorService scheduler;

    private volatile long epoch = -1;
    private volatile long validUntilNanos;
    private long nextRenewNanos;
    private volatile boolean stopped;
    /** Whether the last look at the lease found it held by another instance, still valid by this one's clock. */
    private volatile boolean heldByAnother;

    public Leadership(LeaseStore store, String name, String instanceId, LeaseTiming timing) {
        this(store, name, instanceId, timing, System::nanoTime);
    }

    Leadership(LeaseStore store, String name, String instanceId, LeaseTiming timing, LongSupplier nanoTime) {
        this.store = Objects.requireNonNull(store, "store");
        this.name = Objects.requireNonNull(name, "name");
        this.instanceId = Objects.requireNonNull(instanceId, "instanceId");
        this.timing = Objects.requireNonNull(timing, "timing");
        this.nanoTime = nanoTime;
        this.observer = new LeaseObserver(timing.ttl().toNanos());
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "lease-" + name + "-" + instanceId);
            thread.setDaemon(true);
            return thread;
        });
    }

    public void start() {
        long period = Math.min(timing.checkInterval().toNanos(), timing.renewInterval().toNanos());
        scheduler.scheduleWithFixedDelay(this::tickSafely, 0, period, TimeUnit.NANOSECONDS);
    }

    /** The epoch this instance leads in, if its lease is valid right now. */
    public OptionalLong currentEpoch() {
        long current = epoch;
        return current >= 0 && isValid(current) ? OptionalLong.of(current) : OptionalLong.empty();
    }

    /** True while this instance holds the lease at {@code leaderEpoch} and its validity has not run out. */
    public boolean isValid(long leaderEpoch) {
        return !stopped && epoch == leaderEpoch && nanoTime.getAsLong() - validUntilNanos < 0;
    }

    public String instanceId() {
        return instanceId;
    }

    /**
     * Whether this instance stands by: it holds no lease, and its last look found the lease held by another
     * instance (false before its first look, so a first instance does not count as one).
     */
    public boolean standingBy() {
        return !stopped && epoch < 0 && heldByAnother;
    }

    /**
     * Stops contending and renewing; gives the lease up at once if held, so a standby need not wait the TTL. Does not
     * wait for a take in flight: that tick sees {@code stopped} once it has set the epoch and gives the lease back
     * itself (both are volatile, so this or the tick releases it); never interrupted, since an interrupted write to
     * the store may have landed with its outcome unknown here.
     */
    @Override
    public void close() {
        stopped = true;
        scheduler.shutdown();
        releaseHeld();
    }

    /** Gives the lease up if held; by close(), or by a take that returns after close() looked. */
    private synchronized void releaseHeld() {
        long held = epoch;
        if (held >= 0) {
            epoch = -1;
            try {
                store.release(name, instanceId, held);
            } catch (RuntimeException e) {
                log.warn("lease {}: could not release epoch {} ({}); a standby takes over after the TTL", name, held,
                    e.toString());
            }
        }
    }

    /** Stops without releasing: what a crash leaves behind; a standby takes over after the TTL. */
    public void kill() {
        stopped = true;
        epoch = -1;
        scheduler.shutdownNow();
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            // MongoDB unreachable: keep trying; a holder's validity runs out on its own clock meanwhile.
            log.warn("lease {}: {}", name, e.toString());
        }
    }

    void tick() {
        if (stopped) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (epoch >= 0) {
            if (now - validUntilNanos >= 0) {
                log.warn("lease {}: instance {} could not renew epoch {} in time; stepping down", name, instanceId, epoch);
                epoch = -1;
            } else if (now - nextRenewNanos >= 0) {
                renew(now);
            }
            return;
        }
        Optional<Lease> lease = store.read(name);
        observer.observe(lease, now);
        if (stopped) {
            return; // closed while it read: take nothing
        }
        if (observer.mayTake(now)) {
            long sentAt = nanoTime.getAsLong();
            Optional<Lease> taken = store.tryAcquire(name, instanceId, observer.seen());
            if (taken.isPresent()) {
                validUntilNanos = sentAt + timing.ttl().toNanos() - timing.margin().toNanos();
                nextRenewNanos = sentAt + timing.renewInterval().toNanos();
                epoch = taken.get().epoch();
                heldByAnother = false;
                if (stopped) { // closed while taking (close() may have looked before the epoch was set): give it back
                    releaseHeld();
                    return;
                }
                log.info("lease {}: instance {} is leader at epoch {}", name, instanceId, epoch);
            } else {
                heldByAnother = true; // another instance took it first
            }
        } else {
            heldByAnother = true;
        }
    }

    private void renew(long now) {
        long held = epoch;
        if (store.renew(name, instanceId, held)) {
            validUntilNanos = now + timing.ttl().toNanos() - timing.margin().toNanos();
            nextRenewNanos = now + timing.renewInterval().toNanos();
        } else {
            log.warn("lease {}: instance {} lost epoch {} to another instance", name, instanceId, held);
            epoch = -1;
        }
    }
}
