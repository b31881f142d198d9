package dev.ferry.it.support;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import dev.ferry.core.event.NewEvent;
import dev.ferry.core.store.ConcurrencyConflict;
import dev.ferry.core.store.EventStore;

/**
 * Appends a fixed number of events from several threads to a fixed set of aggregates. Writers share
 * aggregates and may work from a stale version, so some appends conflict: those are retried after reloading.
 */
public final class AppendLoad {

    private final EventStore store;
    private final String aggregateType;
    private final int aggregates;
    private final int events;
    private final int writers;
    private final AtomicInteger appended = new AtomicInteger();
    private final AtomicLong conflicts = new AtomicLong();
    private final ConcurrentHashMap<String, Long> versions = new ConcurrentHashMap<>();

    public AppendLoad(EventStore store, String aggregateType, int aggregates, int events, int writers) {
        this.store = store;
        this.aggregateType = aggregateType;
        this.aggregates = aggregates;
        this.events = events;
        this.writers = writers;
    }

    /** Runs the load to the end on its own threads. */
    public CompletableFuture<Void> start() {
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<CompletableFuture<Void>> parts = new java.util.ArrayList<>();
        for (int w = 0; w < writers; w++) {
            parts.add(CompletableFuture.runAsync(this::write, pool));
        }
        pool.shutdown();
        return CompletableFuture.allOf(parts.toArray(new CompletableFuture[0]));
    }

    public void runToEnd() throws Exception {
        start().get();
    }

    private void write() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        while (true) {
            int batch = 1 + random.nextInt(3);
            int claimed = appended.getAndAdd(batch);
            if (claimed >= events) {
                return;
            }
            batch = Math.min(batch, events - claimed);
            String aggregateId = "agg-" + random.nextInt(aggregates);
            appendWithRetry(aggregateId, batch);
        }
    }

    private void appendWithRetry(String aggregateId, int batch) {
        while (true) {
            // A cached version may be stale (another writer appended since): that append conflicts and retries.
            long expected = versions.getOrDefault(aggregateId, 0L);
            List<NewEvent> newEvents = new java.util.ArrayList<>();
            for (int i = 0; i < batch; i++) {
                newEvents.add(new NewEvent("Changed", "{\"n\":" + (expected + i + 1) + "}"));
            }
            try {
                store.append(aggregateType, aggregateId, expected, newEvents);
                versions.merge(aggregateId, expected + batch, Math::max);
                return;
            } catch (ConcurrencyConflict conflict) {
                conflicts.incrementAndGet();
                versions.put(aggregateId, (long) store.read(aggregateType, aggregateId).size());
            }
        }
    }

    public long conflicts() {
        return conflicts.get();
    }
}
