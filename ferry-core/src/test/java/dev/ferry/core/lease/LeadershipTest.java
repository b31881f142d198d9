package dev.ferry.core.lease;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/** Leadership decisions on a simulated monotonic clock: ticks are driven by hand, no threads, no sleeps. */
class LeadershipTest {

    private static final LeaseTiming TIMING = new LeaseTiming(Duration.ofMillis(1000), Duration.ofMillis(200),
        Duration.ofMillis(100), Duration.ofMillis(250));

    private final InMemoryLeaseStore store = new InMemoryLeaseStore();
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private Leadership instance(String id) {
        return new Leadership(store, "relay", id, TIMING, clock::get);
    }

    private void advance(long millis) {
        clock.addAndGet(Duration.ofMillis(millis).toNanos());
    }

    @Test
    void theFirstInstanceTakesAFreeLeaseAtEpochOne() {
        Leadership a = instance("a");
        a.tick();

        assertThat(a.currentEpoch()).hasValue(1);
    }

    @Test
    void aStandbyWaitsWhileTheHolderRenews() {
        Leadership a = instance("a");
        Leadership b = instance("b");
        a.tick();
        for (int i = 0; i < 50; i++) {
            advance(100);
            a.tick();
            b.tick();
        }

        assertThat(a.currentEpoch()).hasValue(1);
        assertThat(b.currentEpoch()).isEmpty();
    }

    @Test
    void aStandbyTakesOverOnlyAfterTheCounterStoodStillForTheTtlOnItsOwnClock() {
        Leadership a = instance("a");
        Leadership b = instance("b");
        a.tick();
        b.tick(); // b sees a's lease for the first time
        a.kill(); // a dies without releasing

        advance(900);
        b.tick();
        assertThat(b.currentEpoch()).isEmpty();

        advance(100);
        b.tick();
        assertThat(b.currentEpoch()).hasValue(2);
    }

    @Test
    void onlyAnInstanceThatSawAnotherLeadStandsBy() {
        Leadership a = instance("a");
        Leadership b = instance("b");
        assertThat(b.standingBy()).as("before its first look").isFalse();
        a.tick();
        assertThat(a.standingBy()).as("the leader").isFalse();
        b.tick();
        assertThat(b.standingBy()).isTrue();

        a.kill();
        advance(TIMING.ttl().toMillis());
        b.tick();
        assertThat(b.currentEpoch()).hasValue(2);
        assertThat(b.standingBy()).as("once it leads").isFalse();
    }

    @Test
    void theHolderStopsTrustingItsLeaseBeforeAStandbyCanTakeIt() {
        Leadership a = instance("a");
        Leadership b = instance("b");
        a.tick();
        b.tick();
        store.unreachable = true; // a cannot renew (e.g. partitioned from MongoDB); b's reads fail too
        advance(TIMING.ttl().minus(TIMING.margin()).toMillis());
        a.tick();

        assertThat(a.currentEpoch()).isEmpty();
        assertThat(a.isValid(1)).isFalse();
    }

    @Test
    void aPausedHolderFindsItselfDeposedAndItsEpochInvalid() {
        Leadership a = instance("a");
        Leadership b = instance("b");
        a.tick();
        b.tick();
        // a is paused (no ticks) for longer than the TTL; b takes over
        advance(1100);
        b.tick();
        assertThat(b.currentEpoch()).hasValue(2);

        // a wakes up: its own clock already says its validity ran out, and renewing fails
        assertThat(a.isValid(1)).isFalse();
        a.tick();
        assertThat(a.currentEpoch()).isEmpty();
        assertThat(store.read("relay")).get().extracting(Lease::owner).isEqualTo("b");
    }

    @Test
    void aReleasedLeaseIsTakenAtOnce() {
        Leadership a = instance("a");
        Leadership b = instance("b");
        a.tick();
        b.tick();
        a.close();

        b.tick();
        assertThat(b.currentEpoch()).hasValue(2);
    }
}
