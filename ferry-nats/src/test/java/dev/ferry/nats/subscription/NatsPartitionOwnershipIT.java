package dev.ferry.nats.subscription;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.NavigableSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListSet;
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

import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import io.nats.client.Connection;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.Message;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.PublishAck;

import dev.ferry.core.lease.ForwardingLeaseStore;
import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.engine.ownership.OwnershipEvent;
import dev.ferry.engine.ownership.OwnershipEvent.Kind;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.publish.NatsPublishers;

/**
 * Lease-owned partitions can fail this test: balance within 10 s of a join and of a leave; per partition, the owners'
 * acknowledged ranges chain with no overlap and no gap (after a crash, the next owner may read again only what the
 * crashed one's unsent acknowledgements covered); nothing lost (every published sequence delivered and accepted
 * in an acknowledgement, and the server's ack floor of every partition at its last sequence), also when deliveries are
 * lost in transit; and an owner frozen past its lease — stopped inside its subscription's poll, holding records it has
 * not yet acknowledged, its lease store calls blocked — has its writes and its acknowledgement of those records
 * refused when it wakes. Each instance here acknowledges what it was delivered at once, on its own polling thread, as
 * the engine would once its work is done, and each position only once.
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
    /** Stream sequences the server assigned to what the test published, by partition. */
    private final Map<PartitionId, NavigableSet<Long>> published = new ConcurrentHashMap<>();
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
    void partitionsBalanceWithin10SecondsOfAJoinOrLeaveAndEverySequenceIsAcknowledgedByExactlyOneOwner()
        throws Exception {
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

        awaitNothingLost();
        assertOwnersChain();
    }

    @Test
    void anOwnerFrozenPastItsLeaseHasItsWritesAndAcknowledgementsRefusedWhenItWakes() throws Exception {
        Gate gate = new Gate();
        Instance frozen = start("frozen", gate.leases(leases));
        await().atMost(Duration.ofSeconds(10)).until(() -> frozen.owned().size() == PARTITIONS);
        publish(100);
        awaitNothingLost();

        // Freeze it whole, not by its own choice: its polling thread stops inside poll, holding records delivered and
        // never acknowledged; then its lease store calls (renewals, balance) block, as in a stop-the-world pause.
        frozen.freezeAtNextDelivery();
        publish(100);
        assertThat(frozen.frozenInPoll.await(10, TimeUnit.SECONDS)).as("frozen inside poll with records in hand").isTrue();
        gate.close();
        long frozenAt = System.nanoTime();
        Set<PartitionId> held = Set.copyOf(frozen.owned());
        assertThat(held).hasSize(PARTITIONS);
        Instance other = start("other", leases);
        await().atMost(Duration.ofSeconds(15)).until(() -> other.owned().size() == PARTITIONS);

        // A lane of the frozen instance asks to write before its polling thread has noticed anything: refused on its
        // own clock, for every partition.
        List<PartitionId> writable = new CopyOnWriteArrayList<>();
        Thread lane = new Thread(() -> held.forEach(p -> {
            if (frozen.subscription.mayWrite(p, 1, 1)) {
                writable.add(p);
            }
        }), "frozen-lane");
        lane.start();
        lane.join(10_000); // mayWrite answers from its own clock, without I/O: 10 s is far beyond it
        assertThat(lane.isAlive()).as("the frozen owner's lane still asking to write after 10 s").isFalse();
        assertThat(writable).as("partitions the frozen owner may still write, after others own them").isEmpty();

        gate.open();
        frozen.thaw(); // its poll returns the held records; the first thing it does next is acknowledge them
        await().atMost(Duration.ofSeconds(10)).until(() -> frozen.owned().isEmpty() && !frozen.attemptsAfter(frozenAt).isEmpty());
        List<Attempt> attempts = frozen.attemptsAfter(frozenAt);
        System.out.printf("NatsPartitionOwnershipIT: the frozen owner's acknowledgements after waking: %s%n", attempts);
        assertThat(attempts).as("the frozen owner's acknowledgements after waking").isNotEmpty()
            .allMatch(attempt -> !attempt.accepted(), "refused");
        assertThat(attempts).as("...of records it was delivered and never acknowledged")
            .allMatch(attempt -> attempt.upTo() > frozen.acknowledgedUpTo(attempt.partition()), "beyond what it acknowledged");
        assertThat(log).filteredOn(e -> e.instance().equals("frozen") && e.kind() == Kind.ACKNOWLEDGED
            && e.atNanos() > frozenAt).as("acknowledgements of the frozen owner after the freeze").isEmpty();
        assertThat(log).filteredOn(e -> e.instance().equals("frozen") && e.kind() == Kind.REFUSED).hasSize(attempts.size());
        assertThat(log).filteredOn(e -> e.instance().equals("frozen") && e.kind() == Kind.WRITE_REFUSED)
            .hasSizeGreaterThanOrEqualTo(PARTITIONS);
        awaitNothingLost();
        assertThat(other.delivered).as("the records the frozen owner held, delivered again to the next owner")
            .containsAll(frozen.heldWhenFrozen);
        assertOwnersChain();
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
        awaitNothingLost();
        assertOwnersChain();
    }

    /**
     * Deliveries lost in transit — here taken by a second pull on the owner's consumer, as messages in flight when a
     * connection drops are: the server counts them delivered and resends them only after AckWait (5 min), after newer
     * ones. The owner must take nothing after them (acknowledging a later one, policy all, would acknowledge them too):
     * it gives the partition up, and the next epoch reads them again from the ack floor.
     */
    @Test
    void deliveriesLostInTransitAreReadAgainByTheNextEpochNotAcknowledgedPast() throws Exception {
        Instance a = start("a", leases);
        await().atMost(Duration.ofSeconds(10)).until(() -> a.owned().size() == PARTITIONS);
        publish(20);
        awaitNothingLost();
        PartitionId partition = new PartitionId("patient", 0);
        long epoch = log.stream().filter(e -> e.kind() == Kind.GAINED && e.partition().equals(partition))
            .mapToLong(OwnershipEvent::epoch).max().orElseThrow();
        String consumer = PartitionConsumer.consumerBase(group, partition) + epoch;

        List<Long> stolen = new ArrayList<>();
        try (Connection thief = NatsConnections.open(settings, "thief")) {
            var management = thief.jetStreamManagement();
            try (FetchConsumer fetch = thief.jetStream().getConsumerContext(settings.stream(), consumer)
                .fetch(FetchConsumeOptions.builder().maxMessages(2).expiresIn(30_000).build())) {
                // the owner's pull and the thief's wait together: the server hands messages out by turns
                await().atMost(Duration.ofSeconds(10))
                    .until(() -> management.getConsumerInfo(settings.stream(), consumer).getNumWaiting() >= 2);
                publishTo(partition, 10);
                for (int i = 0; i < 2; i++) {
                    Message message = fetch.nextMessage();
                    if (message != null) {
                        stolen.add(message.metaData().streamSequence()); // never acknowledged
                    }
                }
            }
        }
        assertThat(stolen).as("deliveries the owner never saw").isNotEmpty();

        awaitNothingLost();
        assertThat(a.delivered).as("the lost deliveries, read again").containsAll(stolen.stream()
            .map(sequence -> partition + ":" + sequence).toList());
        assertThat(log).as("the partition given up at the epoch the deliveries were lost in")
            .anyMatch(e -> e.kind() == Kind.LOST && e.partition().equals(partition) && e.epoch() == epoch);
        assertOwnersChain();
    }

    private static LeaseStore failingRenewals(LeaseStore delegate, AtomicBoolean failing) {
        return new ForwardingLeaseStore(delegate) {
            @Override
            public boolean renew(String name, String owner, long epoch) {
                if (failing.get() && name.contains(".partition.")) {
                    throw new IllegalStateException("renewal failed (test)");
                }
                return super.renew(name, owner, epoch);
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

    /**
     * Per partition, the owners (instance and epoch) in epoch order: each one's acknowledged ranges follow one another,
     * and each owner starts right after where the one before it ended — a new owner starts at the ack floor — the
     * first at 1: no overlap and no gap. Except after a crash: acknowledgements are sent without waiting for an answer,
     * and those still unsent when an instance dies are lost, so the next owner may start where any of the crashed
     * owner's acknowledgements started (the server applied the ones before it, in order), and reads those records
     * again — never anywhere else. An orderly handover (a revoke, a close) loses none.
     */
    private void assertOwnersChain() {
        Set<String> killed = instances.stream().filter(i -> i.killed).map(i -> i.id).collect(Collectors.toSet());
        // An owner (instance, partition, epoch) that ended in a crash: a killed instance's epoch never revoked nor lost
        Set<String> endedInOrder = log.stream().filter(e -> e.kind() == Kind.REVOKED || e.kind() == Kind.LOST)
            .map(e -> e.instance() + "/" + e.partition() + "@" + e.epoch()).collect(Collectors.toSet());
        Map<PartitionId, List<OwnershipEvent>> acks = log.stream().filter(e -> e.kind() == Kind.ACKNOWLEDGED)
            .collect(Collectors.groupingBy(OwnershipEvent::partition));
        assertThat(acks).hasSize(PARTITIONS);
        acks.forEach((partition, events) -> {
            // grouping keeps the log's order: each owner's ranges in the order it acknowledged them
            TreeMap<Long, List<OwnershipEvent>> owners = events.stream()
                .collect(Collectors.groupingBy(OwnershipEvent::epoch, TreeMap::new, Collectors.toList()));
            List<OwnershipEvent> before = null;
            for (List<OwnershipEvent> ranges : owners.values()) {
                for (int i = 1; i < ranges.size(); i++) {
                    assertThat(ranges.get(i).from()).as("%s: %s@%d's acknowledgements one after another: %s",
                        partition, ranges.get(i).instance(), ranges.get(i).epoch(), ranges)
                        .isEqualTo(ranges.get(i - 1).to() + 1);
                }
                OwnershipEvent first = ranges.get(0);
                if (before == null) {
                    assertThat(first.from()).as("the first acknowledgement of %s", partition).isEqualTo(1);
                } else {
                    OwnershipEvent last = before.get(before.size() - 1);
                    boolean crashed = killed.contains(last.instance())
                        && !endedInOrder.contains(last.instance() + "/" + partition + "@" + last.epoch());
                    Set<Long> starts = new TreeSet<>(Set.of(last.to() + 1));
                    if (crashed) {
                        before.forEach(range -> starts.add(range.from()));
                    }
                    assertThat(starts).as("%s: %s@%d%s acknowledged %d..%d, then %s@%d %d..%d", partition,
                        last.instance(), last.epoch(), crashed ? " (crashed)" : "",
                        before.get(0).from(), last.to(), first.instance(), first.epoch(), first.from(), first.to())
                        .contains(first.from());
                    if (first.from() != last.to() + 1) {
                        System.out.printf("NatsPartitionOwnershipIT: %s: %s@%d started at %d, inside what crashed "
                            + "%s@%d acknowledged (%d..%d): the acknowledgements from there never reached the server%n",
                            partition, first.instance(), first.epoch(), first.from(), last.instance(), last.epoch(),
                            before.get(0).from(), last.to());
                    }
                }
                before = ranges;
            }
        });
    }

    /**
     * Every published sequence was delivered to an instance and covered by an acknowledgement the subscription
     * accepted, and the server's ack floor of each partition's consumer is its last sequence. Fails naming what is
     * missing.
     */
    private void awaitNothingLost() {
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> notAcknowledged().isEmpty() && serverAckFloors().equals(lastSequences()));
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("not everything acknowledged within 30 s: sequences never accepted in an "
                + "acknowledgement " + notAcknowledged() + "; the server's ack floors " + serverAckFloors()
                + ", last sequences " + lastSequences(), e);
        }
    }

    private Map<PartitionId, List<Long>> notAcknowledged() {
        Set<String> acknowledged = instances.stream().flatMap(i -> i.acknowledged.stream()).collect(Collectors.toSet());
        Map<PartitionId, List<Long>> missing = new TreeMap<>(Comparator.comparing(PartitionId::toString));
        published.forEach((partition, sequences) -> sequences.stream()
            .filter(sequence -> !acknowledged.contains(partition + ":" + sequence))
            .forEach(sequence -> missing.computeIfAbsent(partition, p -> new ArrayList<>()).add(sequence)));
        return missing;
    }

    /** The ack floor the server keeps for each partition (its consumer of the latest owner). */
    private Map<PartitionId, Long> serverAckFloors() {
        Map<PartitionId, Long> floors = new HashMap<>();
        try {
            var management = publisher.jetStreamManagement();
            for (String name : management.getConsumerNames(settings.stream())) {
                for (int p = 0; p < PARTITIONS; p++) {
                    PartitionId partition = new PartitionId("patient", p);
                    if (name.startsWith(PartitionConsumer.consumerBase(group, partition))) {
                        // As a new owner reads it: a consumer that acknowledged nothing reports 0, its start - 1 counts
                        ConsumerInfo info = management.getConsumerInfo(settings.stream(), name);
                        Long start = info.getConsumerConfiguration().getStartSequence();
                        floors.merge(partition, Math.max(info.getAckFloor().getStreamSequence(),
                            start == null ? 0 : start - 1), Math::max);
                    }
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return floors;
    }

    private void publish(int perPartition) throws Exception {
        var js = publisher.jetStream();
        List<Map.Entry<PartitionId, CompletableFuture<PublishAck>>> acks = new ArrayList<>();
        for (int i = 0; i < perPartition; i++) {
            for (int p = 0; p < PARTITIONS; p++) {
                acks.add(Map.entry(new PartitionId("patient", p),
                    js.publishAsync(settings.subjects().subject("patient", p), ("m" + i).getBytes(UTF_8))));
            }
        }
        for (Map.Entry<PartitionId, CompletableFuture<PublishAck>> ack : acks) {
            published.computeIfAbsent(ack.getKey(), p -> new ConcurrentSkipListSet<>())
                .add(ack.getValue().get(10, TimeUnit.SECONDS).getSeqno());
        }
    }

    private void publishTo(PartitionId partition, int count) throws Exception {
        var js = publisher.jetStream();
        for (int i = 0; i < count; i++) {
            published.computeIfAbsent(partition, p -> new ConcurrentSkipListSet<>())
                .add(js.publish(settings.subjects().subject(partition.topic(), partition.number()),
                    ("m" + i).getBytes(UTF_8)).getSeqno());
        }
    }

    private Map<PartitionId, Long> lastSequences() {
        Map<PartitionId, Long> last = new HashMap<>();
        published.forEach((partition, sequences) -> last.put(partition, sequences.last()));
        return last;
    }

    private Instance start(String id, LeaseStore store) {
        Instance[] self = new Instance[1];
        Instance instance = new Instance(id, new NatsPartitionSubscription(settings, store, group, id,
            NatsPartitionSubscription.PARTITION_LEASES, event -> {
                log.add(event);
                self[0].observe(event);
            }));
        self[0] = instance;
        instances.add(instance);
        instance.start();
        return instance;
    }

    /** An acknowledgement the instance asked for, and whether the subscription accepted it. */
    private record Attempt(PartitionId partition, long upTo, boolean accepted, long atNanos) {
    }

    /**
     * An engine that finishes each record at once: acknowledges, on its polling thread, each partition's records
     * delivered and not yet acknowledged (never a position twice), and keeps what was accepted.
     */
    private static final class Instance implements PartitionedSubscription.Ownership {

        final String id;
        final NatsPartitionSubscription subscription;
        /** Delivered, not yet accepted in an acknowledgement, by partition. */
        final Map<PartitionId, NavigableSet<Long>> pending = new ConcurrentHashMap<>();
        final Set<String> delivered = ConcurrentHashMap.newKeySet();
        final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        final Map<PartitionId, Long> acceptedUpTo = new ConcurrentHashMap<>();
        final List<Attempt> attempts = new CopyOnWriteArrayList<>();
        /** The records in the poll it was frozen in ("partition:sequence"), once it returned. */
        final Set<String> heldWhenFrozen = ConcurrentHashMap.newKeySet();
        final AtomicBoolean running = new AtomicBoolean(true);
        final CountDownLatch frozenInPoll = new CountDownLatch(1);
        private final CountDownLatch thawed = new CountDownLatch(1);
        private final AtomicBoolean freezeArmed = new AtomicBoolean();
        private volatile boolean wasFrozen;
        volatile boolean killed;
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

        /** Its polling thread stops inside the next poll that hands records over (in the subscription's code). */
        void freezeAtNextDelivery() {
            freezeArmed.set(true);
        }

        void thaw() {
            thawed.countDown();
        }

        /** Called by the subscription, on the polling thread, for every ownership event. */
        void observe(OwnershipEvent event) {
            if (event.kind() == Kind.DELIVERED && freezeArmed.compareAndSet(true, false)) {
                wasFrozen = true;
                frozenInPoll.countDown();
                try {
                    thawed.await(5, TimeUnit.MINUTES);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        List<Attempt> attemptsAfter(long nanos) {
            return attempts.stream().filter(a -> a.atNanos() > nanos).toList();
        }

        long acknowledgedUpTo(PartitionId partition) {
            return acceptedUpTo.getOrDefault(partition, 0L);
        }

        private void run() {
            subscription.open(Set.of("patient"), this);
            while (running.get()) {
                acknowledge(pending.keySet());
                List<SubscribedRecord> records = subscription.poll(Duration.ofMillis(100));
                for (SubscribedRecord record : records) {
                    pending.computeIfAbsent(record.partition(), p -> new ConcurrentSkipListSet<>())
                        .add(record.position());
                    delivered.add(record.partition() + ":" + record.position());
                    if (wasFrozen) {
                        heldWhenFrozen.add(record.partition() + ":" + record.position());
                    }
                }
                wasFrozen = false;
            }
            if (killed) {
                subscription.abandon();
            } else {
                subscription.close();
            }
        }

        /** One acknowledgement per partition with records pending, so that each one's answer is known. */
        private void acknowledge(Collection<PartitionId> partitions) {
            for (PartitionId partition : List.copyOf(partitions)) {
                NavigableSet<Long> waiting = pending.get(partition);
                if (waiting == null || waiting.isEmpty()) {
                    continue;
                }
                long last = waiting.last();
                boolean accepted = subscription.acknowledge(Map.of(partition, last + 1));
                attempts.add(new Attempt(partition, last, accepted, System.nanoTime()));
                if (accepted) {
                    waiting.headSet(last, true).forEach(sequence -> acknowledged.add(partition + ":" + sequence));
                    waiting.headSet(last, true).clear();
                    acceptedUpTo.merge(partition, last, Math::max);
                }
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
            thawed.countDown();
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
            acknowledge(partitions);
            partitions.forEach(pending::remove);
        }

        @Override
        public void lost(Collection<PartitionId> partitions) {
            partitions.forEach(pending::remove); // not acknowledged: delivered again to the next owner
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
