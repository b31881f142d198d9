package dev.ferry.engine.ownership;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseObserver;
import dev.ferry.core.lease.LeaseStore;

/**
 * Who is in a projection's or replicator's group: every instance holds a lease {@code <group>.member.<instanceId>} (a
 * {@link dev.ferry.core.lease.Leadership} with no rival); a member counts as alive while its lease is held and its
 * renewal counter moved within the TTL on this instance's clock — the relay's rule for a leader. Not thread-safe:
 * used by the balancing thread only.
 */
final class GroupMembership {

    private final LeaseStore leases;
    private final String prefix;
    private final long ttlNanos;
    private final LongSupplier nanoTime;
    private final Map<String, LeaseObserver> observers = new HashMap<>();
    /** Watches members for {@link #FORGET_AFTER_TTLS} TTLs: a member unchanged that long is deleted. */
    private final Map<String, LeaseObserver> forgetting = new HashMap<>();

    GroupMembership(LeaseStore leases, String group, long ttlNanos, LongSupplier nanoTime) {
        this.leases = leases;
        this.prefix = memberPrefix(group);
        this.ttlNanos = ttlNanos;
        this.nanoTime = nanoTime;
    }

    /**
     * A member lease unchanged for this many TTLs belongs to an instance killed long ago; it is deleted so the
     * collection does not grow with every killed instance. Far beyond the TTL, so a paused instance that wakes
     * finds its lease gone rather than having it deleted while it renews (the delete is conditional anyway).
     */
    static final int FORGET_AFTER_TTLS = 10;

    static String memberPrefix(String group) {
        return group + ".member.";
    }

    /** The instances alive now, sorted; {@code self} always among them. */
    Set<String> alive(String self) {
        long now = nanoTime.getAsLong();
        List<Lease> members = leases.readAll(prefix);
        Set<String> alive = new TreeSet<>();
        alive.add(self);
        for (Lease member : members) {
            LeaseObserver observer = observers.computeIfAbsent(member.name(), name -> new LeaseObserver(ttlNanos));
            observer.observe(Optional.of(member), now);
            if (member.owner() != null && !observer.mayTake(now)) {
                alive.add(member.owner());
            }
            LeaseObserver longGone = forgetting.computeIfAbsent(member.name(),
                name -> new LeaseObserver(ttlNanos * FORGET_AFTER_TTLS));
            longGone.observe(Optional.of(member), now);
            if (longGone.mayTake(now) && !member.isHeldBy(self)) {
                leases.remove(member);
                observers.remove(member.name());
                forgetting.remove(member.name());
            }
        }
        return alive;
    }
}
