package dev.ferry.core.lease.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseObserver;
import dev.ferry.core.lease.LeaseStore;

/**
 * What every {@link LeaseStore} guarantees; each implementation's test extends this and supplies an empty store. One
 * holder at a time, the lease taken only by compare-and-set on the lease as it was seen; an epoch that grows with
 * every change of owner and fences the former holder's renewals and releases; a renewal counter that every renewal
 * moves, which is all a standby watches to judge expiry ({@link LeaseObserver}); removal only of a lease still as seen.
 */
@Timeout(60)
public abstract class LeaseStoreContract {

    private LeaseStore leases;

    /** A store holding no leases, new for each test. */
    protected abstract LeaseStore newStore();

    @BeforeEach
    void emptyStore() {
        leases = newStore();
    }

    @Test
    void onlyTheInstanceThatSawTheCurrentLeaseCanTakeIt() {
        Optional<Lease> first = leases.tryAcquire("relay", "a", Optional.empty());
        assertThat(first).contains(new Lease("relay", "a", 1, 0));
        assertThat(leases.tryAcquire("relay", "b", Optional.empty())).isEmpty();

        Lease seenByB = leases.read("relay").orElseThrow();
        assertThat(leases.renew("relay", "a", 1)).isTrue(); // a is alive: what b saw is stale now
        assertThat(leases.tryAcquire("relay", "b", Optional.of(seenByB))).isEmpty();

        Lease current = leases.read("relay").orElseThrow();
        assertThat(leases.tryAcquire("relay", "b", Optional.of(current))).contains(new Lease("relay", "b", 2, 0));
        assertThat(leases.renew("relay", "a", 1)).isFalse();
    }

    @Test
    void leasesAreListedByNamePrefixAndOnlyThose() {
        leases.tryAcquire("g.member.a", "a", Optional.empty());
        leases.tryAcquire("g.member.b", "b", Optional.empty());
        leases.tryAcquire("g.partition.1", "a", Optional.empty());
        leases.tryAcquire("g+member.c", "c", Optional.empty()); // '.' is no pattern
        assertThat(leases.readAll("g.member.")).extracting(Lease::owner).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void aReleasedLeaseKeepsItsEpochForTheNextOwnerToIncrement() {
        leases.tryAcquire("relay", "a", Optional.empty());
        leases.release("relay", "a", 1);

        Lease released = leases.read("relay").orElseThrow();
        assertThat(released.owner()).isNull();
        assertThat(leases.tryAcquire("relay", "b", Optional.of(released))).get().extracting(Lease::epoch).isEqualTo(2L);
    }

    /**
     * Expiry as a standby judges it: on its own clock, from the lease as the store shows it. Each renewal moves the
     * counter, so a renewing holder never looks expired; once the renewals stop for the TTL, the standby takes the
     * lease it saw, and the former holder is fenced.
     */
    @Test
    void aHolderThatStopsRenewingIsTakenOverAndFenced() {
        long ttl = 1_000;
        LeaseObserver standby = new LeaseObserver(ttl);
        assertThat(leases.read("relay")).isEmpty();
        leases.tryAcquire("relay", "a", Optional.empty());
        standby.observe(leases.read("relay"), 0);

        assertThat(leases.renew("relay", "a", 1)).isTrue();
        assertThat(leases.renew("relay", "a", 1)).isTrue();
        assertThat(leases.read("relay")).contains(new Lease("relay", "a", 1, 2));
        standby.observe(leases.read("relay"), 900);
        standby.observe(leases.read("relay"), 1_800);
        assertThat(standby.mayTake(1_800)).as("renewed at 900: not expired at 1800").isFalse();

        standby.observe(leases.read("relay"), 1_900); // no renewal since 900
        assertThat(standby.mayTake(1_900)).isTrue();
        assertThat(leases.tryAcquire("relay", "b", standby.seen())).contains(new Lease("relay", "b", 2, 0));

        assertThat(leases.renew("relay", "a", 1)).as("the former holder renews at its old epoch").isFalse();
        leases.release("relay", "a", 1);
        assertThat(leases.read("relay")).as("a late release of the former holder changes nothing")
            .contains(new Lease("relay", "b", 2, 0));
        assertThat(leases.tryAcquire("relay", "c", standby.seen())).as("what the standby saw is stale now").isEmpty();
    }

    @Test
    void onlyTheHolderAtItsEpochRenewsOrReleases() {
        leases.tryAcquire("relay", "a", Optional.empty());

        assertThat(leases.renew("relay", "b", 1)).isFalse();
        assertThat(leases.renew("relay", "a", 2)).isFalse();
        assertThat(leases.renew("other", "a", 1)).as("a lease that does not exist").isFalse();
        leases.release("relay", "b", 1);
        leases.release("relay", "a", 2);
        assertThat(leases.read("relay")).contains(new Lease("relay", "a", 1, 0));
        assertThat(leases.read("other")).isEmpty();

        leases.release("relay", "a", 1);
        assertThat(leases.read("relay")).get().satisfies(released -> {
            assertThat(released.owner()).isNull();
            assertThat(released.epoch()).isEqualTo(1);
        });
        assertThat(leases.renew("relay", "a", 1)).as("a released lease is no longer its holder's").isFalse();
    }

    @Test
    void aLeaseIsRemovedOnlyIfStillAsSeen() {
        leases.tryAcquire("g.member.a", "a", Optional.empty());
        Lease seen = leases.read("g.member.a").orElseThrow();
        assertThat(leases.renew("g.member.a", "a", 1)).isTrue(); // alive since it was seen

        leases.remove(seen);
        Lease renewed = leases.read("g.member.a").orElseThrow();
        assertThat(renewed).isEqualTo(new Lease("g.member.a", "a", 1, 1));

        leases.remove(renewed);
        assertThat(leases.read("g.member.a")).isEmpty();
        assertThat(leases.readAll("g.member.")).isEmpty();
        assertThat(leases.tryAcquire("g.member.a", "b", Optional.empty())).as("the name is free again").isPresent();
    }

    /** Instances racing for the same lease as they saw it, absent and then held: exactly one wins each time. */
    @Test
    void ofRivalsTakingTheSameLeaseAsSeenExactlyOneWins() throws Exception {
        List<Optional<Lease>> firstRound = race(Optional.empty());
        assertThat(firstRound).filteredOn(Optional::isPresent).hasSize(1);
        Lease held = leases.read("relay").orElseThrow();
        assertThat(firstRound).contains(Optional.of(held));

        List<Optional<Lease>> secondRound = race(Optional.of(held));
        assertThat(secondRound).filteredOn(Optional::isPresent).hasSize(1);
        Lease taken = leases.read("relay").orElseThrow();
        assertThat(secondRound).contains(Optional.of(taken));
        assertThat(taken.epoch()).isEqualTo(2);
    }

    private List<Optional<Lease>> race(Optional<Lease> seen) throws Exception {
        int rivals = 8;
        ExecutorService pool = Executors.newFixedThreadPool(rivals);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Callable<Optional<Lease>>> tries = new ArrayList<>();
            for (int i = 0; i < rivals; i++) {
                String owner = "rival-" + i + "-of-" + seen.map(Lease::epoch).orElse(0L);
                tries.add(() -> {
                    start.await();
                    return leases.tryAcquire("relay", owner, seen);
                });
            }
            List<Future<Optional<Lease>>> futures = new ArrayList<>();
            tries.forEach(attempt -> futures.add(pool.submit(attempt)));
            start.countDown();
            List<Optional<Lease>> results = new ArrayList<>();
            for (Future<Optional<Lease>> result : futures) {
                results.add(result.get(30, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
