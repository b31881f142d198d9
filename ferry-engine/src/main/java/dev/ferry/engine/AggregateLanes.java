package dev.ferry.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key-ordered concurrency: items with the same key (one aggregate, one entity) are handled one batch after another in
 * submission order; different keys run in parallel on a fixed pool. A batch holds several keys: whatever is ready
 * when a thread comes for work — keys with items and no batch running — is shared out among the threads, so under
 * load one batch carries many keys' items and the target can write them in one round trip, while a lone item is
 * still handled at once. A key is in at most one running batch; what queued for it meanwhile goes into a later one.
 * A key's lane exists only while it has work.
 *
 * @param <T> the queued item
 */
final class AggregateLanes<T> implements AutoCloseable {

    /** Handles one batch: each key's items in order; different keys of a batch are independent of each other. */
    @FunctionalInterface
    interface Worker<T> {
        void handle(Map<String, List<T>> batch);
    }

    /** An item and its key, for {@link #submitAll}. */
    record Keyed<T>(String key, T item) {
    }

    private static final Logger log = LoggerFactory.getLogger(AggregateLanes.class);

    private final ExecutorService pool;
    private final int threads;
    private final Worker<T> worker;
    private final int maxBatch;
    /** Every key with work: its items, the running batch's first (left in, so new items queue behind them). */
    private final Map<String, ArrayDeque<T>> lanes = new HashMap<>();
    /** Keys with items and no running batch, oldest first. */
    private final ArrayDeque<String> ready = new ArrayDeque<>();
    private final AtomicInteger queued = new AtomicInteger();
    /** Threads taking batches; guarded by {@code lanes}. */
    private int draining;

    /** @param maxBatch most items in one batch, over all its keys */
    AggregateLanes(int threads, String name, int maxBatch, Worker<T> worker) {
        AtomicInteger counter = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, name + "-lane-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.threads = threads;
        this.worker = worker;
        this.maxBatch = maxBatch;
    }

    void submit(String key, T item) {
        submitAll(List.of(new Keyed<>(key, item)));
    }

    /** Queues items in their order (a poll's records), then starts as many threads as the ready keys can use. */
    void submitAll(List<Keyed<T>> items) {
        if (items.isEmpty()) {
            return;
        }
        queued.addAndGet(items.size());
        int start;
        synchronized (lanes) {
            for (Keyed<T> keyed : items) {
                ArrayDeque<T> lane = lanes.get(keyed.key());
                if (lane == null) {
                    lane = new ArrayDeque<>(4); // most lanes hold a few items: not the default 16 slots per key
                    lanes.put(keyed.key(), lane);
                    ready.add(keyed.key());
                }
                lane.add(keyed.item()); // a running or ready lane gets to it in order
            }
            start = Math.min(threads - draining, ready.size());
            draining += start;
        }
        for (int i = 0; i < start; i++) {
            try {
                pool.execute(this::drain);
            } catch (RejectedExecutionException closed) {
                synchronized (lanes) {
                    draining--; // closed: nothing runs any more
                }
            }
        }
    }

    /** Items submitted and not yet handled. */
    int queued() {
        return queued.get();
    }

    /** Takes batches until no key is ready. */
    private void drain() {
        while (true) {
            Map<String, List<T>> batch = take();
            if (batch == null) {
                return;
            }
            int size = 0;
            for (List<T> items : batch.values()) {
                size += items.size();
            }
            try {
                worker.handle(batch);
            } catch (OutOfMemoryError fatal) {
                synchronized (lanes) {
                    draining--; // this thread ends: the count must not keep a thread that no longer takes work
                }
                throw fatal;
            } catch (RuntimeException | Error e) {
                // A worker's own failure (a handler's Error included) must not end the thread: the pool would shrink
                // for good, and with the last thread gone no key would ever be taken again.
                log.error("lanes {}: batch failed unexpectedly", batch.keySet(), e);
            } finally {
                queued.addAndGet(-size);
                release(batch);
            }
        }
    }

    /**
     * This thread's share of the ready keys — the ready keys divided among the threads taking batches, busy or not, so
     * that several keys' slow work (a handler's call) still runs in parallel — up to {@code maxBatch} items; null if
     * none is ready.
     */
    private Map<String, List<T>> take() {
        synchronized (lanes) {
            if (ready.isEmpty()) {
                draining--;
                return null;
            }
            int keys = Math.max(1, (ready.size() + draining - 1) / draining);
            Map<String, List<T>> batch = new LinkedHashMap<>();
            int size = 0;
            while (keys-- > 0 && size < maxBatch && !ready.isEmpty()) {
                String key = ready.poll();
                List<T> items = new ArrayList<>();
                Iterator<T> queuedItems = lanes.get(key).iterator();
                while (queuedItems.hasNext() && size < maxBatch) {
                    items.add(queuedItems.next());
                    size++;
                }
                batch.put(key, items);
            }
            return batch;
        }
    }

    /** Drops a handled batch's items from their lanes; a key with more queued is ready again. */
    private void release(Map<String, List<T>> batch) {
        synchronized (lanes) {
            batch.forEach((key, items) -> {
                ArrayDeque<T> lane = lanes.get(key);
                for (int i = 0; i < items.size(); i++) {
                    lane.poll();
                }
                if (lane.isEmpty()) {
                    lanes.remove(key);
                } else {
                    ready.add(key);
                }
            });
        }
    }

    /** Stops taking work; interrupts running batches (they are abandoned, not committed). */
    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
