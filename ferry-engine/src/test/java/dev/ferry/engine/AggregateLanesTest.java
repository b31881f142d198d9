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
        AggregateLanes.Worker<Integer> worker = (key, batch) -> {
            maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
            seen.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).addAll(batch);
            concurrent.decrementAndGet();
            batch.forEach(item -> done.countDown());
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
        AggregateLanes.Worker<Integer> worker = (key, batch) -> {
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
        AggregateLanes.Worker<Integer> worker = (key, batch) -> {
            if (batch.contains(1)) {
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
}
