package dev.ferry.engine.ownership;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;

/** Members count as alive while they renew; a member lease left behind by a killed instance is deleted in the end. */
class GroupMembershipTest {

    private static final long TTL = TimeUnit.SECONDS.toNanos(2);

    private final AtomicLong clock = new AtomicLong();
    private final MapLeaseStore leases = new MapLeaseStore();
    private final GroupMembership membership = new GroupMembership(leases, "g", TTL, clock::get);

    @Test
    void aMemberThatStoppedRenewingIsDeadAfterTheTtlAndItsLeaseDeletedAfterTenTtls() {
        leases.tryAcquire("g.member.a", "a", Optional.empty());
        leases.tryAcquire("g.member.b", "b", Optional.empty());
        assertThat(membership.alive("a")).containsExactly("a", "b");

        for (int i = 1; i <= GroupMembership.FORGET_AFTER_TTLS + 1; i++) {
            clock.addAndGet(TTL);
            leases.renew("g.member.a", "a", 1); // a renews, b was killed
            Optional<Lease> b = leases.read("g.member.b");
            assertThat(membership.alive("a")).containsExactly("a");
            if (i < GroupMembership.FORGET_AFTER_TTLS) {
                assertThat(b).isPresent();
            }
        }
        assertThat(leases.read("g.member.b")).isEmpty();
        assertThat(leases.read("g.member.a")).isPresent();
    }

    @Test
    void aMemberThatRenewsAgainIsNeitherDeadNorDeleted() {
        leases.tryAcquire("g.member.b", "b", Optional.empty());
        membership.alive("a");
        clock.addAndGet(TTL * (GroupMembership.FORGET_AFTER_TTLS - 1));
        leases.renew("g.member.b", "b", 1); // paused, then woke up just in time
        assertThat(membership.alive("a")).containsExactly("a", "b");
        clock.addAndGet(TTL * (GroupMembership.FORGET_AFTER_TTLS - 1));
        membership.alive("a");
        assertThat(leases.read("g.member.b")).isPresent();
    }

    /** Compare-and-set semantics as MongoLeaseStore's. */
    private static final class MapLeaseStore implements LeaseStore {

        private final Map<String, Lease> leases = new ConcurrentHashMap<>();

        @Override
        public Optional<Lease> read(String name) {
            return Optional.ofNullable(leases.get(name));
        }

        @Override
        public List<Lease> readAll(String namePrefix) {
            return leases.values().stream().filter(l -> l.name().startsWith(namePrefix)).toList();
        }

        @Override
        public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
            Optional<Lease> current = read(name);
            if (!current.equals(seen)) {
                return Optional.empty();
            }
            Lease taken = new Lease(name, owner, current.map(Lease::epoch).orElse(0L) + 1, 0);
            leases.put(name, taken);
            return Optional.of(taken);
        }

        @Override
        public boolean renew(String name, String owner, long epoch) {
            Lease lease = leases.get(name);
            if (lease == null || !lease.isHeldBy(owner) || lease.epoch() != epoch) {
                return false;
            }
            leases.put(name, new Lease(name, owner, epoch, lease.renewals() + 1));
            return true;
        }

        @Override
        public void release(String name, String owner, long epoch) {
            Lease lease = leases.get(name);
            if (lease != null && lease.isHeldBy(owner) && lease.epoch() == epoch) {
                leases.put(name, new Lease(name, null, epoch, lease.renewals() + 1));
            }
        }

        @Override
        public void remove(Lease seen) {
            leases.remove(seen.name(), seen);
        }
    }
}
