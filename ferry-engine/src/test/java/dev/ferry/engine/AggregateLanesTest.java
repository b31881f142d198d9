package dev.ferry.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

class AggregateLanesTest {

    @Test
    void itemsOfOneKeyAreHandledInOrderAndDifferentKeysInParallel() throws Exception {
        Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(400);
        AggregateLanes.Worker<Integer> worker = batch -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            batch.forEach((key, items) -> {
                seen.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).addAll(items);
                items.forEach(item -> done.countDown());
            });
            concurrent.decrementAndGet();
        };
        try (AggregateLanes<Integer> lanes = new AggregateLanes<>(4, "test", 10, worker)) {
            for (int i = 0; i < 100; i++) {
                for (String key : List.of("a", "b", "c", "d")) {
                    lanes.submit(key, i);
                }
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(10)).until(() -> lanes.queued() == 0);
        }

        assertThat(seen).hasSize(4);
        seen.values().forEach(values -> assertThat(values).isSorted().hasSize(100));
        assertThat(maxConcurrent.get()).isLessThanOrEqualTo(4);
    }

    @Test
    void whatQueuesWhileABatchRunsIsHandedOverAsTheNextBatchUpToItsLimit() throws Exception {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<List<Integer>> batches = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(8);
        AggregateLanes.Worker<Integer> worker = keys -> {
            List<Integer> batch = keys.get("a");
            batches.add(batch);
            firstStarted.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            batch.forEach(item -> done.countDown());
        };
        try (AggregateLanes<Integer> lanes = new AggregateLanes<>(1, "test", 5, worker)) {
            lanes.submit("a", 0);
            assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
            for (int i = 1; i < 8; i++) {
                lanes.submit("a", i);
            }
            release.countDown();
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(batches).containsExactly(List.of(0), List.of(1, 2, 3, 4, 5), List.of(6, 7));
    }

    @Test
    void aBatchThatThrowsDoesNotStopItsLane() throws Exception {
        CountDownLatch second = new CountDownLatch(1);
        AggregateLanes.Worker<Integer> worker = batch -> {
            if (batch.get("a").contains(1)) {
                throw new IllegalStateException("boom");
            }
            second.countDown();
        };
        try (AggregateLanes<Integer> lanes = new AggregateLanes<>(1, "test", 1, worker)) {
            lanes.submit("a", 1);
            lanes.submit("a", 2);
            assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void keysReadyWhileABatchRunsAreHandedOverTogetherInOneBatch() throws Exception {
        CountDownLatch firstStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Map<String, List<Integer>>> batches = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(7);
        AggregateLanes.Worker<Integer> worker = batch -> {
            batches.add(batch);
            firstStarted.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            batch.values().forEach(items -> items.forEach(item -> done.countDown()));
        };
        try (AggregateLanes<Integer> lanes = new AggregateLanes<>(1, "test", 100, worker)) {
            lanes.submit("a", 0);
            assertThat(firstStarted.await(10, TimeUnit.SECONDS)).isTrue();
            lanes.submitAll(List.of(new AggregateLanes.Keyed<>("b", 1), new AggregateLanes.Keyed<>("a", 2),
                new AggregateLanes.Keyed<>("c", 3), new AggregateLanes.Keyed<>("b", 4), new AggregateLanes.Keyed<>("d", 5),
                new AggregateLanes.Keyed<>("c", 6)));
            release.countDown();
            assertThat(done.await(10, TimeUnit.SECONDS)).isTrue();
        }

        // "a" was running: its later item waits for that batch to end, then goes with the keys that were ready.
        assertThat(batches).containsExactly(Map.of("a", List.of(0)),
            Map.of("b", List.of(1, 4), "c", List.of(3, 6), "d", List.of(5), "a", List.of(2)));
        assertThat(batches.get(1).keySet()).containsExactly("b", "c", "d", "a");
    }

    @Test
    void aKeyIsNeverInTwoRunningBatchesAndReadyKeysAreSharedAmongTheThreads() throws Exception {
        Map<String, AtomicInteger> running = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger biggestBatch = new AtomicInteger();
        Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
        CountDownLatch done = new CountDownLatch(20 * 50);
        AggregateLanes.Worker<Integer> worker = batch -> {
            biggestBatch.accumulateAndGet(batch.size(), Math::max);
            batch.keySet().forEach(key -> {
                if (running.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet() > 1) {
                    overlaps.incrementAndGet();
                }
            });
            batch.forEach((key, items) -> seen.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>()))
                .addAll(items));
            batch.keySet().forEach(key -> running.get(key).decrementAndGet());
            batch.values().forEach(items -> items.forEach(item -> done.countDown()));
        };
        try (AggregateLanes<Integer> lanes = new AggregateLanes<>(4, "test", 500, worker)) {
            for (int round = 0; round < 50; round++) {
                List<AggregateLanes.Keyed<Integer>> poll = new ArrayList<>();
                for (int key = 0; key < 20; key++) {
                    poll.add(new AggregateLanes.Keyed<>("k" + key, round));
                }
                lanes.submitAll(poll);
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(overlaps).hasValue(0);
        assertThat(seen).hasSize(20);
        seen.values().forEach(values -> assertThat(values).isSorted().hasSize(50));
        // Twenty keys ready for four threads: a batch carries a fair share of them, more than one.
        assertThat(biggestBatch.get()).isGreaterThan(1);
    }

    @Test
    void aWorkerThatThrowsAnErrorKeepsItsThreadAndTheLanesGoOn() throws Exception {
        CountDownLatch later = new CountDownLatch(3);
        AggregateLanes.Worker<Integer> worker = batch -> {
            if (batch.values().stream().anyMatch(items -> items.contains(0))) {
                throw new AssertionError("a handler's own assertion");
            }
            batch.values().forEach(items -> items.forEach(item -> later.countDown()));
        };
        try (AggregateLanes<Integer> lanes = new AggregateLanes<>(1, "test", 10, worker)) {
            lanes.submit("a", 0);
            await().atMost(Duration.ofSeconds(10)).until(() -> lanes.queued() == 0);
            lanes.submit("a", 1);
            lanes.submit("b", 2);
            lanes.submit("c", 3);
            assertThat(later.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
