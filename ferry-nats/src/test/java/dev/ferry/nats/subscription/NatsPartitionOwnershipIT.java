package dev.ferry.nats.subscription;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import io.nats.client.Connection;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.publish.NatsPublishers;
import dev.ferry.nats.subscription.OwnershipEvent.Kind;

/**
 * Lease-owned partitions can fail this test: balance within 10 s of a join and of a leave, acknowledgements of two
 * owners of a partition never overlapping (in stream sequences or in time), nothing lost across hand-overs, and an
 * owner frozen past its lease acknowledging nothing when it wakes. Each instance here acknowledges whatever it was
 * delivered at once, on its own polling thread, as the engine would once its work is done.
 */
@Timeout(180)
class NatsPartitionOwnershipIT {

    private static final int PARTITIONS = 12;
    private static NatsServerProcess server;
    private static MongoUnderTest mongo;
    private static MongoClient client;
    private NatsSettings settings;
    private LeaseStore leases;
    private String group;
    private final List<OwnershipEvent> log = new CopyOnWriteArrayList<>();
    private final List<Instance> instances = new ArrayList<>();
    private Connection publisher;

    @BeforeAll
    static void start() {
        server = NatsServerProcess.start();
        mongo = MongoUnderTest.start("ferry_nats");
        client = MongoClients.create(mongo.connectionString());
    }

    @AfterAll
    static void stop() {
        client.close();
        mongo.close();
        server.close();
    }

    @BeforeEach
    void fresh() {
        settings = NatsSettings.local(server.url(), "o" + System.nanoTime());
        new NatsPublishers(settings).ensureStream();
        leases = new MongoLeaseStore(client.getDatabase(mongo.databaseName()), "leases_" + System.nanoTime());
        group = "g" + System.nanoTime();
        publisher = NatsConnections.open(settings, "load");
    }

    @AfterEach
    void stopInstances() throws InterruptedException {
        instances.forEach(Instance::kill);
        publisher.close();
    }

    @Test
    void partitionsBalanceWithin10SecondsOfAJoinOrLeaveAndOwnersNeverOverlap() throws Exception {
        Instance a = start("a", leases);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.owned().size() == PARTITIONS);
        publish(200);
        Instance b = start("b", leases);
        awaitBalance(List.of(a, b));
        publish(200);
        Instance c = start("c", leases);
        awaitBalance(List.of(a, b, c));
        publish(200);
        c.kill(); // a crash: its partitions move once its leases expire
        awaitBalance(List.of(a, b));
        publish(200);
        a.close(); // an orderly leave
        await().atMost(Duration.ofSeconds(10)).until(() -> b.owned().size() == PARTITIONS);

        // Nothing lost: every message acknowledged by some owner
        await().atMost(Duration.ofSeconds(30)).until(() -> acknowledgedUpTo().equals(lastSequences()));
        assertNoTwoOwnersOverlap();
    }

    @Test
    void anOwnerFrozenPastItsLeaseAcknowledgesNothingWhenItWakes() throws Exception {
        Gate gate = new Gate();
        Instance frozen = start("frozen", gate.leases(leases));
        await().atMost(Duration.ofSeconds(10)).until(() -> frozen.owned().size() == PARTITIONS);
        publish(100);
        await().atMost(Duration.ofSeconds(10)).until(() -> acknowledgedUpTo().equals(lastSequences()));

        // Freeze it whole (lease renewals and its polling thread), holding delivered, unacknowledged messages
        frozen.freeze();
        gate.close();
        publish(100);
        long frozenAt = System.nanoTime();
        Instance other = start("other", leases);
        await().atMost(Duration.ofSeconds(15)).until(() -> other.owned().size() == PARTITIONS);

        gate.open();
        frozen.thaw(); // the first thing it does: acknowledge what it held
        await().atMost(Duration.ofSeconds(10)).until(() -> frozen.polls.get() > 3 && frozen.owned().isEmpty());
        assertThat(log).filteredOn(e -> e.instance().equals("frozen") && e.kind() == Kind.ACKNOWLEDGED
            && e.atNanos() > frozenAt).isEmpty();
        assertThat(log).filteredOn(e -> e.instance().equals("frozen") && e.kind() == Kind.REFUSED).isNotEmpty();
        await().atMost(Duration.ofSeconds(30)).until(() -> acknowledgedUpTo().equals(lastSequences()));
        assertNoTwoOwnersOverlap();
    }

    /**
     * Renewals failing for longer than the TTL (the store unreachable for them, or a starved scheduler): every lease
     * steps down and the partitions are lost. They must come back — a lease left in the store under the name of a
     * live instance that no longer holds it is contended for by nobody else.
     */
    @Test
    void partitionsWhoseLeasesSteppedDownAreOwnedAgain() throws Exception {
        AtomicBoolean renewalsFail = new AtomicBoolean();
        Instance a = start("a", failingRenewals(leases, renewalsFail));
        await().atMost(Duration.ofSeconds(10)).until(() -> a.owned().size() == PARTITIONS);
        publish(50);

        renewalsFail.set(true);
        await().atMost(Duration.ofSeconds(15)).until(() -> log.stream().filter(e -> e.kind() == Kind.LOST)
            .map(OwnershipEvent::partition).distinct().count() == PARTITIONS);
        renewalsFail.set(false);
        await().atMost(Duration.ofSeconds(20)).until(() -> a.owned().size() == PARTITIONS);
        publish(50);
        await().atMost(Duration.ofSeconds(30)).until(() -> acknowledgedUpTo().equals(lastSequences()));
        assertNoTwoOwnersOverlap();
    }

    private static LeaseStore failingRenewals(LeaseStore delegate, AtomicBoolean failing) {
        return new LeaseStore() {
            @Override
            public Optional<Lease> read(String name) {
                return delegate.read(name);
            }

            @Override
            public List<Lease> readAll(String namePrefix) {
                return delegate.readAll(namePrefix);
            }

            @Override
            public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
                return delegate.tryAcquire(name, owner, seen);
            }

            @Override
            public boolean renew(String name, String owner, long epoch) {
                if (failing.get() && name.contains(".partition.")) {
                    throw new IllegalStateException("renewal failed (test)");
                }
                return delegate.renew(name, owner, epoch);
            }

            @Override
            public void release(String name, String owner, long epoch) {
                delegate.release(name, owner, epoch);
            }

            @Override
            public void remove(Lease seen) {
                delegate.remove(seen);
            }
        };
    }

    private void awaitBalance(List<Instance> members) {
        long started = System.nanoTime();
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).until(() -> {
            int fair = PARTITIONS / members.size();
            Set<PartitionId> all = members.stream().flatMap(i -> i.owned().stream()).collect(Collectors.toSet());
            return all.size() == PARTITIONS && members.stream().allMatch(i -> Math.abs(i.owned().size() - fair) <= 1);
        });
        System.out.printf("NatsPartitionOwnershipIT: %d instances balanced in %d ms: %s%n", members.size(),
            (System.nanoTime() - started) / 1_000_000, members.stream().map(i -> i.id + "=" + i.owned().size()).toList());
    }

    /** Per partition: acknowledged sequence ranges of different (instance, epoch) are disjoint, and so are their times. */
    private void assertNoTwoOwnersOverlap() {
        Map<PartitionId, Map<String, List<OwnershipEvent>>> acks = log.stream().filter(e -> e.kind() == Kind.ACKNOWLEDGED)
            .collect(Collectors.groupingBy(OwnershipEvent::partition,
                Collectors.groupingBy(e -> e.instance() + "@" + e.epoch())));
        assertThat(acks).hasSize(PARTITIONS);
        acks.forEach((partition, byOwner) -> {
            List<long[]> intervals = byOwner.values().stream().map(events -> new long[] {
                events.stream().mapToLong(OwnershipEvent::from).min().orElseThrow(),
                events.stream().mapToLong(OwnershipEvent::to).max().orElseThrow(),
                events.stream().mapToLong(OwnershipEvent::atNanos).min().orElseThrow(),
                events.stream().mapToLong(OwnershipEvent::atNanos).max().orElseThrow()}).toList();
            for (int i = 0; i < intervals.size(); i++) {
                for (int j = i + 1; j < intervals.size(); j++) {
                    long[] x = intervals.get(i);
                    long[] y = intervals.get(j);
                    assertThat(x[1] < y[0] || y[1] < x[0]).as("sequences of two owners of %s overlap: %s", partition,
                        byOwner.keySet()).isTrue();
                    assertThat(x[3] < y[2] || y[3] < x[2]).as("two owners of %s acknowledged at overlapping times: %s",
                        partition, byOwner.keySet()).isTrue();
                }
            }
        });
    }

    private void publish(int perPartition) throws Exception {
        var js = publisher.jetStream();
        for (int i = 0; i < perPartition; i++) {
            for (int p = 0; p < PARTITIONS; p++) {
                js.publishAsync(settings.subjects().subject("patient", p), ("m" + i).getBytes(UTF_8));
            }
        }
        publisher.flush(Duration.ofSeconds(10));
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.jetStreamManagement()
            .getStreamInfo(settings.stream()).getStreamState().getMsgCount() % (perPartition * PARTITIONS) == 0);
    }

    private Map<PartitionId, Long> lastSequences() throws Exception {
        Map<PartitionId, Long> last = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            last.put(new PartitionId("patient", p), publisher.jetStreamManagement()
                .getLastMessage(settings.stream(), settings.subjects().subject("patient", p)).getSeq());
        }
        return last;
    }

    private Map<PartitionId, Long> acknowledgedUpTo() {
        Map<PartitionId, Long> upTo = new HashMap<>();
        log.stream().filter(e -> e.kind() == Kind.ACKNOWLEDGED).forEach(e -> upTo.merge(e.partition(), e.to(), Math::max));
        return upTo;
    }

    private Instance start(String id, LeaseStore store) {
        Instance instance = new Instance(id, new NatsPartitionSubscription(settings, store, group, id,
            NatsPartitionSubscription.PARTITION_LEASES, log::add));
        instances.add(instance);
        instance.start();
        return instance;
    }

    /** An engine that finishes each record at once: acknowledges everything delivered, on its polling thread. */
    private static final class Instance implements PartitionedSubscription.Ownership {

        final String id;
        final NatsPartitionSubscription subscription;
        final Map<PartitionId, Long> delivered = new ConcurrentHashMap<>();
        final java.util.concurrent.atomic.AtomicInteger polls = new java.util.concurrent.atomic.AtomicInteger();
        final AtomicBoolean running = new AtomicBoolean(true);
        volatile boolean killed;
        volatile CountDownLatch frozen = new CountDownLatch(0);
        final Thread thread;

        Instance(String id, NatsPartitionSubscription subscription) {
            this.id = id;
            this.subscription = subscription;
            this.thread = new Thread(this::run, "instance-" + id);
        }

        void start() {
            thread.start();
        }

        Set<PartitionId> owned() {
            return subscription.owned();
        }

        void freeze() {
            frozen = new CountDownLatch(1);
        }

        void thaw() {
            frozen.countDown();
        }

        private void run() {
            subscription.open(Set.of("patient"), this);
            while (running.get()) {
                try {
                    frozen.await(5, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    return;
                }
                if (!delivered.isEmpty()) {
                    Map<PartitionId, Long> next = new HashMap<>();
                    delivered.forEach((p, last) -> next.put(p, last + 1));
                    subscription.acknowledge(next);
                }
                for (SubscribedRecord record : subscription.poll(Duration.ofMillis(100))) {
                    delivered.merge(record.partition(), record.position(), Math::max);
                }
                polls.incrementAndGet();
            }
            if (killed) {
                subscription.abandon();
            } else {
                subscription.close();
            }
        }

        void close() throws InterruptedException {
            running.set(false);
            subscription.wakeup();
            thread.join(30_000);
        }

        void kill() {
            killed = true;
            running.set(false);
            frozen.countDown();
            subscription.wakeup();
            try {
                thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void gained(Collection<PartitionId> partitions) {
        }

        @Override
        public void revoked(Collection<PartitionId> partitions) {
            Map<PartitionId, Long> next = new HashMap<>();
            partitions.forEach(p -> Optional.ofNullable(delivered.get(p)).ifPresent(last -> next.put(p, last + 1)));
            subscription.acknowledge(next);
            partitions.forEach(delivered::remove);
        }

        @Override
        public void lost(Collection<PartitionId> partitions) {
            partitions.forEach(delivered::remove);
        }
    }

    /** Holds an instance's lease store calls while closed, as a stop-the-world pause would (ferry-it's Pause). */
    private static final class Gate {

        private volatile CountDownLatch open = new CountDownLatch(0);

        void close() {
            open = new CountDownLatch(1);
        }

        void open() {
            open.countDown();
        }

        private void pass() {
            try {
                open.await(5, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        LeaseStore leases(LeaseStore delegate) {
            return new LeaseStore() {
                @Override
                public Optional<Lease> read(String name) {
                    pass();
                    return delegate.read(name);
                }

                @Override
                public List<Lease> readAll(String namePrefix) {
                    pass();
                    return delegate.readAll(namePrefix);
                }

                @Override
                public Optional<Lease> tryAcquire(String name, String owner, Optional<Lease> seen) {
                    pass();
                    return delegate.tryAcquire(name, owner, seen);
                }

                @Override
                public boolean renew(String name, String owner, long epoch) {
                    pass();
                    return delegate.renew(name, owner, epoch);
                }

                @Override
                public void release(String name, String owner, long epoch) {
                    delegate.release(name, owner, epoch);
                }

                @Override
                public void remove(Lease seen) {
                    pass();
                    delegate.remove(seen);
                }
            };
        }
    }
}
