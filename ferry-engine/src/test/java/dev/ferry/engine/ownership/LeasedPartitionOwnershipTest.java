package dev.ferry.engine.ownership;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.lease.ForwardingLeaseStore;
import dev.ferry.core.lease.InMemoryLeaseStore;
import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.lease.LeaseTiming;
import dev.ferry.core.subscription.PartitionId;

/** Partition leases in memory: what a release at an epoch gives up, and what it keeps. */
@Timeout(30)
class LeasedPartitionOwnershipTest {

    private static final LeaseTiming FAST = new LeaseTiming(Duration.ofMillis(600), Duration.ofMillis(100),
        Duration.ofMillis(50), Duration.ofMillis(150));
    private static final PartitionId PARTITION = new PartitionId("patient", 0);

    /**
     * A lease that stepped down (renewals failing past its validity) and was won back at a newer epoch is kept when the
     * polling thread releases the epoch it lost: only that epoch is given up, so the partition does not move for
     * nothing.
     */
    @Test
    void releasingAnEpochLostKeepsTheLeaseWonBackSince() {
        AtomicBoolean renewalsFail = new AtomicBoolean();
        InMemoryLeaseStore memory = new InMemoryLeaseStore();
        LeaseStore store = new ForwardingLeaseStore(memory) {
            @Override
            public boolean renew(String name, String owner, long epoch) {
                if (renewalsFail.get() && name.contains(".partition.")) {
                    throw new IllegalStateException("renewal failed (test)");
                }
                return super.renew(name, owner, epoch);
            }
        };
        String lease = LeasedPartitionOwnership.leaseName("g", PARTITION);
        try (LeasedPartitionOwnership ownership = new LeasedPartitionOwnership(store, "g", "a", FAST, List.of(PARTITION))) {
            ownership.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> ownership.epoch(PARTITION).isPresent());
            long lost = ownership.epoch(PARTITION).getAsLong();

            renewalsFail.set(true);
            await().atMost(Duration.ofSeconds(10)).until(() -> ownership.epoch(PARTITION).isEmpty());
            renewalsFail.set(false);
            await().atMost(Duration.ofSeconds(10)).until(() -> ownership.epoch(PARTITION).isPresent()
                && ownership.epoch(PARTITION).getAsLong() > lost);
            long wonBack = ownership.epoch(PARTITION).getAsLong();

            ownership.release(PARTITION, lost);
            assertThat(ownership.isValid(PARTITION, wonBack)).as("the lease won back, after releasing epoch %d", lost)
                .isTrue();
            assertThat(memory.read(lease)).get().extracting(Lease::owner, Lease::epoch).containsExactly("a", wonBack);
        }
    }
}
