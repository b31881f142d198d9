package dev.ferry.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ChangesRejected;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.target.ParkedEvents.ParkedEvent;
import dev.ferry.core.target.RetryPolicy;
import dev.ferry.core.wire.EntityJson;

/**
 * A replicator is the engine with a replica writer: each id's changes written in order and only forward, redelivered
 * ones skipped as duplicates, tombstones finished without a write, and a change whose notification keeps failing
 * parked with every later change of its id while the other ids go on — and every partition acknowledged past its last
 * record.
 */
@Timeout(30)
class ReplicationProcessorTest {

    private static final PartitionId P0 = new PartitionId("ferry.patient", 0);
    private static final PartitionId P1 = new PartitionId("ferry.patient", 1);

    private final InMemorySubscription subscription = new InMemorySubscription();
    private final ReplicaInMemory replica = new ReplicaInMemory();
    private final ParkedInMemory parked = new ParkedInMemory();

    @Test
    void writesEachIdsChangesForwardSkipsRedeliveriesAndAcknowledgesTombstones() {
        List<SubscribedRecord> records = new ArrayList<>();
        long p0 = 0;
        records.add(record(P0, p0++, change("a", EntityOperation.CREATE, 1)));
        records.add(record(P0, p0++, change("a", EntityOperation.UPDATE, 2)));
        records.add(record(P0, p0++, change("a", EntityOperation.UPDATE, 2))); // redelivered after a relay failover
        records.add(record(P0, p0++, change("a", EntityOperation.DELETE, 3)));
        records.add(new SubscribedRecord(P0, p0++, "patient", "a", null)); // its tombstone (Kafka: no value)
        records.add(new SubscribedRecord(P0, p0++, "patient", "a", new byte[0])); // (NATS: an empty one)
        records.add(record(P0, p0++, change("a", EntityOperation.CREATE, 4)));
        records.add(record(P1, 0, change("b", EntityOperation.CREATE, 1)));
        records.add(record(P1, 1, change("b", EntityOperation.UPDATE, 1)));
        subscription.deliver(records);
        long lastOfP0 = p0;

        ReplicationProcessor processor = start(null, RetryPolicy.DEFAULT);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(lastOfP0).equals(subscription.acknowledged.get(P0))
                && Long.valueOf(2).equals(subscription.acknowledged.get(P1)));
            assertThat(replica.written.get("a")).containsExactly(version(1), version(2), version(3), version(4));
            assertThat(replica.written.get("b")).containsExactly(version(1));
            assertThat(processor.status().applied()).isEqualTo(5);
            assertThat(processor.status().duplicates()).isEqualTo(2);
            assertThat(parked.events).isEmpty();
        } finally {
            processor.close();
        }
    }

    @Test
    void aChangeWhoseNotificationKeepsFailingIsParkedWithItsIdsLaterChangesWhileOthersGoOn() {
        subscription.deliver(List.of(record(P0, 0, change("a", EntityOperation.CREATE, 1)),
            record(P0, 1, change("b", EntityOperation.CREATE, 1)),
            record(P0, 2, change("a", EntityOperation.UPDATE, 2)),
            record(P0, 3, change("b", EntityOperation.UPDATE, 2))));
        ChangeNotifier failingForA = (change, key) -> {
            if (change.id().equals("a")) {
                throw new IllegalStateException("endpoint refused " + key);
            }
        };

        ReplicationProcessor processor = start(failingForA, new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2)));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(4).equals(subscription.acknowledged.get(P0)));
            assertThat(replica.written).containsOnlyKeys("b");
            assertThat(parked.events).extracting(p -> p.aggregateKey()).containsExactly("patient/a", "patient/a");
            assertThat(parked.events.get(0).error()).contains("endpoint refused patient/a/" + version(1).wire());
            assertThat(parked.events).allSatisfy(p -> {
                assertThat(p.event()).isNull(); // kept by its raw value, decoded again on retry
                assertThat(p.rawValue()).startsWith("{\"entity\":\"patient\",\"id\":\"a\"");
            });
        } finally {
            processor.close();
        }
    }

    @Test
    void changesOfManyIdsPolledTogetherAreWrittenTogetherInFarFewerCallsThanIds() {
        List<SubscribedRecord> records = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            records.add(record(P0, i, change("id-" + i, EntityOperation.CREATE, 1)));
        }
        subscription.deliver(records);

        ReplicationProcessor processor = start(null, RetryPolicy.DEFAULT);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(400).equals(subscription.acknowledged.get(P0)));
            assertThat(replica.written).hasSize(400);
            assertThat(processor.status().applied()).isEqualTo(400);
            // One poll of 400 ids for 4 lane threads: a few batches of many ids each, not a write per id.
            assertThat(replica.calls.get()).isLessThanOrEqualTo(40);
            assertThat(replica.biggestCall.get()).isGreaterThan(1);
        } finally {
            processor.close();
        }
    }

    @Test
    void aChangeTheReplicaRefusesCostsOnlyItsOwnIdNotTheOthersWrittenWithIt() {
        List<SubscribedRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(record(P0, i, change(i == 37 ? "bad" : "id-" + i, EntityOperation.CREATE, 1)));
        }
        records.add(record(P0, 100, change("bad", EntityOperation.UPDATE, 2)));
        records.add(record(P0, 101, change("id-1", EntityOperation.UPDATE, 2)));
        subscription.deliver(records);
        replica.refused = "bad";

        ReplicationProcessor processor = start(null, new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2)));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(102).equals(subscription.acknowledged.get(P0)));
            assertThat(replica.written).hasSize(99).doesNotContainKey("bad");
            assertThat(replica.written.get("id-1")).containsExactly(version(1), version(2));
            assertThat(processor.status().applied()).isEqualTo(100);
            assertThat(parked.events).extracting(p -> p.aggregateKey()).containsExactly("patient/bad", "patient/bad");
            assertThat(parked.events.get(0).error()).contains("refused bad");
        } finally {
            processor.close();
        }
    }

    @Test
    void aChangeTheReplicaRejectsAloneIsParkedAndTheOthersOfItsBatchAreNotWrittenAgain() {
        List<SubscribedRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(record(P0, i, change(i == 37 ? "bad" : "id-" + i, EntityOperation.CREATE, 1)));
        }
        subscription.deliver(records);
        replica.rejected = "bad";

        ReplicationProcessor processor = start(null, new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2)));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(100).equals(subscription.acknowledged.get(P0)));
            assertThat(replica.written).hasSize(99).doesNotContainKey("bad");
            assertThat(processor.status().applied()).isEqualTo(99);
            assertThat(processor.status().duplicates()).as("the others of the batch, not written again").isZero();
            assertThat(parked.events).extracting(p -> p.aggregateKey()).containsExactly("patient/bad");
            assertThat(parked.events.get(0).error()).contains("rejected bad");
        } finally {
            processor.close();
        }
    }

    @Test
    void anIdWhoseNotificationIsRetriedHoldsBackNoneOfTheIdsWrittenInItsBatch() throws Exception {
        List<SubscribedRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(record(P0, i, change(i == 37 ? "a" : "id-" + i, EntityOperation.CREATE, 1)));
        }
        subscription.deliver(records);
        AtomicInteger calls = new AtomicInteger();
        CountDownLatch othersWritten = new CountDownLatch(1);
        ChangeNotifier failingForA = (change, key) -> {
            if (change.id().equals("a")) {
                if (calls.incrementAndGet() > 1) {
                    othersWritten.await(20, TimeUnit.SECONDS); // its retry waits until the others are written
                }
                throw new IllegalStateException("endpoint refused " + key);
            }
        };

        ReplicationProcessor processor = start(failingForA, new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2)));
        try {
            await().atMost(Duration.ofSeconds(15)).until(() -> replica.written.size() == 99);
            assertThat(parked.events).isEmpty();
            othersWritten.countDown();
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(100).equals(subscription.acknowledged.get(P0)));
            assertThat(parked.events).extracting(p -> p.aggregateKey()).containsExactly("patient/a");
            assertThat(calls).hasValue(2);
        } finally {
            othersWritten.countDown();
            processor.close();
        }
    }

    @Test
    void anIdWhoseParkedStateCannotBeReadCostsOnlyItselfNotTheOthersOfItsBatch() {
        parked.park("replica", new ParkedEvent("patient/id-37", null, "earlier", "", 1, P0.topic(), P0.number(), 0, "{}",
            Instant.now()));
        parked.unreadable = "patient/id-37";
        List<SubscribedRecord> records = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            records.add(record(P0, i, change("id-" + i, EntityOperation.CREATE, 1)));
        }
        subscription.deliver(records);

        ReplicationProcessor processor = start(null, RetryPolicy.DEFAULT);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> replica.written.size() == 99);
            assertThat(replica.written).doesNotContainKey("id-37");
        } finally {
            processor.close();
        }
    }

    private ReplicationProcessor start(ChangeNotifier notifier, RetryPolicy retry) {
        ReplicationProcessor processor = new ReplicationProcessor("replica", Set.of("patient"), replica, notifier,
            parked, ProcessorSettings.DEFAULT.withLaneThreads(4).withRetry(retry), subscription, "t1");
        processor.start();
        return processor;
    }

    private static EntityVersion version(long n) {
        return EntityVersion.ofClusterTime(1000 + n, 1, 1);
    }

    private static EntityChange change(String id, EntityOperation operation, long n) {
        return new EntityChange("patient", id, operation, version(n),
            operation == EntityOperation.DELETE ? null : "{\"_id\":\"" + id + "\",\"n\":" + n + "}", null, "clinic",
            "patients", 1000 + n, 1);
    }

    private static SubscribedRecord record(PartitionId partition, long position, EntityChange change) {
        return new SubscribedRecord(partition, position, "patient", change.id(), EntityJson.encode(change).getBytes(UTF_8));
    }

    /** A replica's version check in memory: writes a change only over a lower version, recording what it wrote. */
    private static final class ReplicaInMemory implements ReplicaWriter {
        final Map<String, List<EntityVersion>> written = new ConcurrentHashMap<>();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger biggestCall = new AtomicInteger();
        /** An id whose changes the replica refuses, failing the whole call, as a row a database rejects does. */
        volatile String refused;
        /** An id whose changes the replica rejects alone, writing the others of the call ({@link ChangesRejected}). */
        volatile String rejected;

        @Override
        public synchronized List<Outcome> write(List<EntityChange> changes) {
            calls.incrementAndGet();
            biggestCall.accumulateAndGet(changes.size(), Math::max);
            changes.stream().filter(change -> change.id().equals(refused)).findFirst().ifPresent(change -> {
                throw new IllegalArgumentException("refused " + change.id());
            });
            if (changes.size() == 1 && changes.get(0).id().equals(rejected)) {
                throw new IllegalArgumentException("rejected " + rejected); // alone: the cause itself
            }
            List<Outcome> outcomes = new ArrayList<>();
            Map<Integer, RuntimeException> causes = new HashMap<>();
            for (EntityChange change : changes) {
                if (change.id().equals(rejected)) {
                    causes.put(outcomes.size(), new IllegalArgumentException("rejected " + rejected));
                    outcomes.add(null);
                    continue;
                }
                List<EntityVersion> versions = written.computeIfAbsent(change.id(), id -> new ArrayList<>());
                if (!versions.isEmpty() && !change.version().isAfter(versions.get(versions.size() - 1))) {
                    outcomes.add(Outcome.DUPLICATE);
                } else {
                    versions.add(change.version());
                    outcomes.add(Outcome.APPLIED);
                }
            }
            if (!causes.isEmpty()) {
                throw new ChangesRejected(outcomes, causes);
            }
            return outcomes;
        }

        @Override
        public Optional<StoredVersion> stored(String entity, String id) {
            return Optional.empty();
        }

        @Override
        public long purgeTombstones() {
            return 0;
        }
    }
}
