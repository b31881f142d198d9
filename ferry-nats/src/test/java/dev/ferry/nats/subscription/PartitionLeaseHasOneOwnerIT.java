package dev.ferry.nats.subscription;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.core.lease.ForwardingLeaseStore;
import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.lease.Leadership;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.engine.ownership.LeasedPartitionOwnership;
import dev.ferry.mongodb.lease.MongoLeaseStore;

/**
 * A partition lease has one owner even when rivals go for it at the same instant: two instances contend (as
 * {@link LeasedPartitionOwnership} does, through {@link Leadership}) for the partition lease of an owner that died;
 * both saw it unchanged for the TTL, and a barrier makes both send their take-over with the very same lease seen.
 * The store's compare-and-set must let exactly one of them have it — its answers and the stored lease show which.
 */
@Timeout(60)
class PartitionLeaseHasOneOwnerIT {

    private static MongoUnderTest mongo;
    private static MongoClient client;

    @BeforeAll
    static void start() {
        mongo = MongoUnderTest.start("ferry_nats");
        client = MongoClients.create(mongo.connectionString());
    }

    @AfterAll
    static void stop() {
        client.close();
        mongo.close();
    }

    @Test
    void rivalsTakingADeadOwnersPartitionAtOnceGetItOnce() throws Exception {
        LeaseStore store = new MongoLeaseStore(client.getDatabase(mongo.databaseName()), "leases_" + System.nanoTime());
        String name = LeasedPartitionOwnership.leaseName("g" + System.nanoTime(), new PartitionId("patient", 3));
        Lease dead = store.tryAcquire(name, "dead", Optional.empty()).orElseThrow(); // never renewed again
        List<String> granted = new CopyOnWriteArrayList<>();
        List<Long> seenEpochs = new CopyOnWriteArrayList<>();
        AtomicInteger answered = new AtomicInteger();
        CyclicBarrier together = new CyclicBarrier(2);
        LeaseStore racing = new ForwardingLeaseStore(store) {
            @Override
            public Optional<Lease> tryAcquire(String lease, String owner, Optional<Lease> seen) {
                try {
                    together.await(20, TimeUnit.SECONDS); // both take-overs leave with the same lease seen
                } catch (Exception e) {
                    throw new IllegalStateException("the rivals did not contend at once", e);
                }
                seenEpochs.add(seen.map(Lease::epoch).orElse(0L));
                Optional<Lease> taken = store.tryAcquire(lease, owner, seen);
                taken.ifPresent(l -> granted.add(owner));
                answered.incrementAndGet();
                return taken;
            }
        };
        Leadership a = new Leadership(racing, name, "a", NatsPartitionSubscription.PARTITION_LEASES);
        Leadership b = new Leadership(racing, name, "b", NatsPartitionSubscription.PARTITION_LEASES);
        try {
            a.start();
            b.start();
            // Both observe the dead owner's lease for the TTL (2 s), then both try; bounded well above that.
            await().atMost(Duration.ofSeconds(20)).until(() -> answered.get() >= 2);
            assertThat(seenEpochs.subList(0, 2)).as("the lease both rivals saw").containsOnly(dead.epoch());
            assertThat(granted).as("rivals granted the lease of epoch %d", dead.epoch()).hasSize(1);
            Lease stored = store.read(name).orElseThrow();
            assertThat(stored.owner()).isEqualTo(granted.get(0));
            assertThat(stored.epoch()).isEqualTo(dead.epoch() + 1);
        } finally {
            a.kill();
            b.kill();
        }
    }
}
