package dev.ferry.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

/**
 * Leadership decisions on a simulated monotonic clock: ticks are driven by hand, no threads, no sleeps (but for
 * {@link #aTakeInFlightWhenClosedIsReleasedNotLeftInTheClosersName}, which needs the leadership's own thread).
 */
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

    @Test
    void aTakeInFlightWhenClosedIsReleasedNotLeftInTheClosersName() throws InterruptedException {
        CountDownLatch taking = new CountDownLatch(1);
        CountDownLatch closing = new CountDownLatch(1);
        CountDownLatch taken = new CountDownLatch(1);
        LeaseStore slowToTake = new SlowToTake(store, taking, closing, taken);
        Leadership a = new Leadership(slowToTake, "relay", "a", TIMING);
        a.start();
        assertThat(taking.await(10, TimeUnit.SECONDS)).as("the leadership's thread is taking the lease").isTrue();

        Thread closer = new Thread(a::close, "closer");
        closer.start();
        // close() has been called: it is waiting for the tick in flight, or (as it did) returned without waiting
        await().atMost(Duration.ofSeconds(10)).until(() -> closer.getState() == Thread.State.TIMED_WAITING
            || closer.getState() == Thread.State.WAITING || closer.getState() == Thread.State.TERMINATED);
        closing.countDown(); // the take lands now
        closer.join(TimeUnit.SECONDS.toMillis(10));
        assertThat(taken.await(10, TimeUnit.SECONDS)).as("the take landed").isTrue();

        assertThat(closer.isAlive()).as("close() returned").isFalse();
        // released by the tick itself once its take returned (close() does not wait for it)
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(store.read("relay"))
            .as("the lease, taken while closing").get().extracting(Lease::owner).as("its owner once closed").isNull());
    }

    /** A store whose take lands only once the test says so, as a write to MongoDB in flight does, not interruptible. */
    private static final class SlowToTake extends ForwardingLeaseStore {

        private final CountDownLatch taking;
        private final CountDownLatch closing;
        private final CountDownLatch taken;

        SlowToTake(LeaseStore store, CountDownLatch taking, CountDownLatch closing, CountDownLatch taken) {
            super(store);
            this.taking = taking;
            this.closing = closing;
            this.taken = taken;
        }

        @Override
        public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
            taking.countDown();
            boolean interrupted = false;
            while (true) {
                try {
                    closing.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // an interrupt does not stop a write on its way
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            try {
                return store.tryAcquire(name, owner, seen);
            } finally {
                taken.countDown();
            }
        }
    }
}
