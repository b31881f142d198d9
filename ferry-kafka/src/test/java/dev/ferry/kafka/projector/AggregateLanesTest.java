package dev.ferry.kafka.projector;

import static org.assertj.core.api.Assertions.assertThat;

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
    void tasksOfOneKeyRunInOrderAndDifferentKeysInParallel() throws Exception {
        Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
        AtomicInteger concurrent = new AtomicInteger();
        AtomicInteger maxConcurrent = new AtomicInteger();
        CountDownLatch done = new CountDownLatch(400);
        try (AggregateLanes lanes = new AggregateLanes(4, "test")) {
            for (int i = 0; i < 100; i++) {
                for (String key : List.of("a", "b", "c", "d")) {
                    int n = i;
                    lanes.submit(key, () -> {
                        maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
                        seen.computeIfAbsent(key, k -> Collections.synchronizedList(new ArrayList<>())).add(n);
                        concurrent.decrementAndGet();
                        done.countDown();
                    });
                }
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        }

        assertThat(seen).hasSize(4);
        seen.values().forEach(values -> assertThat(values).isSorted().hasSize(100));
        assertThat(maxConcurrent.get()).isLessThanOrEqualTo(4);
    }

    @Test
    void aTaskThatThrowsDoesNotStopItsLane() throws Exception {
        CountDownLatch second = new CountDownLatch(1);
        try (AggregateLanes lanes = new AggregateLanes(1, "test")) {
            lanes.submit("a", () -> {
                throw new IllegalStateException("boom");
            });
            lanes.submit("a", second::countDown);
            assertThat(second.await(10, TimeUnit.SECONDS)).isTrue();
        }
    }
}
