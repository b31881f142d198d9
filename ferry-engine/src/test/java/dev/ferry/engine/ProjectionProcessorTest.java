package dev.ferry.engine;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.target.RetryPolicy;
import dev.ferry.core.wire.EventJson;

/**
 * The engine over a transport in memory, no broker: every record applied in order, each partition acknowledged
 * past its last finished record, and a failing aggregate parked with all its later events while the others go on.
 */
@Timeout(30)
class ProjectionProcessorTest {

    private static final PartitionId P0 = new PartitionId("ferry.patient", 0);
    private static final PartitionId P1 = new PartitionId("ferry.patient", 1);

    private final InMemorySubscription subscription = new InMemorySubscription();
    private final VersionsInMemory writer = new VersionsInMemory();
    private final ParkedInMemory parked = new ParkedInMemory();

    @Test
    void appliesEveryRecordInOrderAndAcknowledgesEachPartitionPastItsLast() {
        Projection projection = Projection.named("in_memory").forAggregateTypes("patient").build();
        subscription.deliver(records(Map.of(P0, List.of("a", "b"), P1, List.of("c")), 5));
        ProjectionProcessor processor = start(projection, RetryPolicy.DEFAULT);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(10).equals(subscription.acknowledged.get(P0))
                && Long.valueOf(5).equals(subscription.acknowledged.get(P1)));
            assertThat(writer.applied).containsOnlyKeys("a", "b", "c");
            writer.applied.values().forEach(versions -> assertThat(versions).containsExactly(1L, 2L, 3L, 4L, 5L));
            assertThat(processor.status().applied()).isEqualTo(15);
            assertThat(processor.status().parked()).isZero();
            assertThat(processor.status().waitingSince()).as("nothing waits once every record is finished").isNull();
        } finally {
            processor.close();
        }
        assertThat(subscription.closed).isTrue();
    }

    @Test
    void aFailingAggregateIsParkedWithEveryLaterEventWhileTheOthersComplete() {
        Projection projection = Projection.named("in_memory").forAggregateTypes("patient")
            .otherwise((event, context) -> {
                if (event.aggregateId().equals("bad") && event.version() == 2) {
                    throw new IllegalStateException("handler refuses bad/2");
                }
                return ReadModelChange.UNCHANGED;
            }).build();
        subscription.deliver(records(Map.of(P0, List.of("good", "bad")), 4));
        ProjectionProcessor processor = start(projection, new RetryPolicy(2, Duration.ofMillis(1), Duration.ofMillis(2)));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(8).equals(subscription.acknowledged.get(P0)));
            assertThat(writer.applied.get("good")).containsExactly(1L, 2L, 3L, 4L);
            assertThat(writer.applied.get("bad")).containsExactly(1L);
            assertThat(parked.events).extracting(p -> p.event().version()).containsExactly(2L, 3L, 4L);
            assertThat(parked.events.get(0).error()).contains("handler refuses bad/2");
            assertThat(parked.events.get(0).attempts()).isEqualTo(2);
            assertThat(parked.events.subList(1, 3)).allSatisfy(p -> assertThat(p.error()).contains("parked behind"));
        } finally {
            processor.close();
        }
    }

    /*
     * The fence cases decide nothing from a quiet window. The engine asks the subscription before every write
     * (InMemorySubscription records each refusal); once every record of the lapsed partition was refused, a record of
     * the same aggregate is delivered on a partition still owned. It runs on the same aggregate lane, after the
     * refused ones, so once it is acknowledged they are done with — and it shows what they did: applied as version 1
     * means nothing of the lapsed partition was written (or parked) for that aggregate first.
     */

    @Test
    void aPartitionWhoseOwnershipLapsedGetsNoReadModelWriteAndNoAcknowledgement() {
        Projection projection = Projection.named("in_memory").forAggregateTypes("patient").build();
        subscription.lapsed.add(P1);
        subscription.deliver(records(Map.of(P0, List.of("a"), P1, List.of("c")), 3));
        ProjectionProcessor processor = start(projection, RetryPolicy.DEFAULT);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(3).equals(subscription.acknowledged.get(P0))
                && subscription.refusedAll(P1, 0, 2));
            subscription.deliver(List.of(record(P0, 3, "c", 1, "{}")));
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(4).equals(subscription.acknowledged.get(P0)));
            assertThat(writer.applied.get("c")).as("c's versions written: only the owned partition's c/1")
                .containsExactly(1L);
            assertThat(writer.applied.get("a")).containsExactly(1L, 2L, 3L);
            // nothing of P1 acknowledged: at most "everything before its first record (position 0)"
            assertThat(subscription.acknowledged.getOrDefault(P1, 0L)).isZero();
            assertThat(processor.status().parked()).isZero();
            // P1's records are left for its next owner: they wait, and the instance reports since when.
            assertThat(processor.status().waitingSince()).isNotNull().isBeforeOrEqualTo(Instant.now());
        } finally {
            processor.close();
        }
    }

    @Test
    void aPartitionWhoseOwnershipLapsedParksNothingEvenForFailingOrUndecodableRecords() {
        Projection projection = Projection.named("in_memory").forAggregateTypes("patient")
            .otherwise((event, context) -> {
                if (event.aggregateId().equals("c") && !event.payloadJson().contains("owned")) {
                    throw new IllegalStateException("handler refuses c");
                }
                return ReadModelChange.UNCHANGED;
            }).build();
        subscription.lapsed.add(P1);
        List<SubscribedRecord> records = new ArrayList<>(records(Map.of(P0, List.of("a"), P1, List.of("c")), 2));
        records.add(new SubscribedRecord(P1, 2, "patient", "d", "not json".getBytes(UTF_8)));
        subscription.deliver(records);
        // One attempt: a failing record goes straight to parking, so the parking fence (not the write fence of a
        // retry) is what must refuse it.
        ProjectionProcessor processor = start(projection, new RetryPolicy(1, Duration.ofMillis(1), Duration.ofMillis(2)));
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(2).equals(subscription.acknowledged.get(P0))
                && subscription.refusedAll(P1, 0, 2));
            // Were c or d parked, these would be parked behind them rather than applied.
            subscription.deliver(List.of(record(P0, 2, "c", 1, "{\"owned\": true}"), record(P0, 3, "d", 1, "{}")));
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(4).equals(subscription.acknowledged.get(P0)));
            assertThat(parked.events).isEmpty();
            assertThat(writer.applied.get("c")).containsExactly(1L);
            assertThat(writer.applied.get("d")).containsExactly(1L);
            assertThat(processor.status().parked()).isZero();
            assertThat(subscription.acknowledged.getOrDefault(P1, 0L)).isZero();
        } finally {
            processor.close();
        }
    }

    /**
     * A poll that fails (a broker that does not answer, an error inside the loop) does not end the polling thread: it is
     * tried again after a growing backoff, the failure is in the status from the first one and counts as stalled once
     * it has lasted the stall timeout; when polls go through again, everything is applied in order and acknowledged,
     * and the failure is gone.
     */
    @Test
    void aFailingPollIsRetriedAfterABackoffShownInTheStatusAndLosesNothing() {
        Projection projection = Projection.named("in_memory").forAggregateTypes("patient").build();
        subscription.pollsFail.set(true);
        subscription.deliver(records(Map.of(P0, List.of("a", "b")), 3));
        ProjectionProcessor processor = start(projection, RetryPolicy.DEFAULT);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> subscription.polls.get() >= 3);
            ProcessorStatus failing = processor.status();
            assertThat(failing.failure()).contains("the broker does not answer (test)");
            assertThat(failing.ended()).isFalse();
            assertThat(failing.failingSince()).isNotNull();
            assertThat(failing.stalled(failing.failingSince().plusSeconds(1), Duration.ofSeconds(2)))
                .as("failing for less than the stall timeout").isFalse();
            assertThat(failing.stalled(failing.failingSince().plusSeconds(3), Duration.ofSeconds(2)))
                .as("failing for longer than the stall timeout").isTrue();
            int polled = subscription.polls.get();
            await().during(Duration.ofMillis(250)).atMost(Duration.ofSeconds(2))
                .until(() -> subscription.polls.get() <= polled + 1);
            assertThat(subscription.polls.get()).as("polls in a backoff of at least 400 ms").isLessThanOrEqualTo(polled + 1);

            subscription.pollsFail.set(false);
            await().atMost(Duration.ofSeconds(20)).until(() -> Long.valueOf(6).equals(subscription.acknowledged.get(P0)));
            writer.applied.values().forEach(versions -> assertThat(versions).containsExactly(1L, 2L, 3L));
            assertThat(writer.applied).containsOnlyKeys("a", "b");
            ProcessorStatus recovered = processor.status();
            assertThat(recovered.failure()).isNull();
            assertThat(recovered.failingSince()).isNull();
            assertThat(recovered.stalled(Instant.now().plusSeconds(3600), Duration.ofSeconds(2))).isFalse();
        } finally {
            processor.close();
        }
        assertThat(subscription.closed).isTrue();
    }

    /**
     * A poll that keeps failing for longer than the polling thread may ends the work: the subscription is closed (its
     * partitions go to instances that work), and the status says why.
     */
    @Test
    void aPollFailingForLongerThanAllowedEndsTheWorkAndHandsThePartitionsOver() {
        Projection projection = Projection.named("in_memory").forAggregateTypes("patient").build();
        subscription.pollsFail.set(true);
        ProjectionProcessor processor = new ProjectionProcessor(projection, writer, parked,
            ProcessorSettings.DEFAULT.withPollingGivesUpAfter(Duration.ofMillis(500)), subscription, "t1");
        processor.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> processor.status().ended());
            assertThat(processor.status().failure()).startsWith("stopped: failing without a pass since ")
                .contains("the broker does not answer (test)");
            await().atMost(Duration.ofSeconds(10)).until(() -> subscription.closed);
        } finally {
            processor.close();
        }
    }

    /** A subscription that cannot open ends the work for good, and says so: stalled at once, the failure named. */
    @Test
    void aSubscriptionThatCannotOpenEndsTheWorkAndSaysSo() {
        Projection projection = Projection.named("in_memory").forAggregateTypes("patient").build();
        subscription.openFails = new IllegalArgumentException("no such stream (test)");
        ProjectionProcessor processor = start(projection, RetryPolicy.DEFAULT);
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> processor.status().ended());
            ProcessorStatus ended = processor.status();
            assertThat(ended.failure()).startsWith("stopped: ").contains("no such stream (test)");
            assertThat(ended.stalled(Instant.now(), Duration.ofHours(1))).isTrue();
            assertThat(subscription.closed).isTrue();
        } finally {
            processor.close();
        }
    }

    private ProjectionProcessor start(Projection projection, RetryPolicy retry) {
        ProjectionProcessor processor = new ProjectionProcessor(projection, writer, parked,
            ProcessorSettings.DEFAULT.withLaneThreads(4).withRetry(retry), subscription, "t1");
        processor.start();
        return processor;
    }

    /** Per partition, the aggregates' versions 1..n interleaved, as a topic holds them. */
    private static List<SubscribedRecord> records(Map<PartitionId, List<String>> aggregates, int versions) {
        List<SubscribedRecord> records = new ArrayList<>();
        aggregates.forEach((partition, ids) -> {
            long position = 0;
            for (int version = 1; version <= versions; version++) {
                for (String id : ids) {
                    Event event = new Event(id + "-" + version, "patient", id, version, "Changed",
                        Instant.parse("2026-12-01T10:00:00Z"), "{}", EventMetadata.NONE);
                    records.add(new SubscribedRecord(partition, position++, "patient", id,
                        EventJson.encode(event).getBytes(UTF_8)));
                }
            }
        });
        return records;
    }

    private static SubscribedRecord record(PartitionId partition, long position, String id, long version, String payload) {
        Event event = new Event(id + "-" + version + "-" + partition.number(), "patient", id, version, "Changed",
            Instant.parse("2026-12-01T10:00:00Z"), payload, EventMetadata.NONE);
        return new SubscribedRecord(partition, position, "patient", id, EventJson.encode(event).getBytes(UTF_8));
    }

    /** A contiguous version check in memory, recording the order versions were applied in. */
    private static final class VersionsInMemory implements ReadModelWriter {
        final Map<String, List<Long>> applied = new ConcurrentHashMap<>();

        @Override
        public synchronized Outcome apply(Projection projection, Event event, ReadModelChange change) {
            long current = version(projection, event.aggregateId());
            if (event.version() <= current) {
                return Outcome.DUPLICATE;
            }
            if (event.version() != current + 1) {
                return Outcome.GAP;
            }
            applied.computeIfAbsent(event.aggregateId(), id -> new CopyOnWriteArrayList<>()).add(event.version());
            return Outcome.APPLIED;
        }

        @Override
        public long version(Projection projection, String aggregateId) {
            List<Long> versions = applied.getOrDefault(aggregateId, List.of());
            return versions.isEmpty() ? 0 : versions.get(versions.size() - 1);
        }

        @Override
        public Outcome skip(Projection projection, Event event, String reason) {
            throw new UnsupportedOperationException();
        }
    }
}
