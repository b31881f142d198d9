package dev.ferry.engine;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key-ordered concurrency: items with the same key (one aggregate) are handled one batch after another in
 * submission order; different keys run in parallel on a fixed pool. Whatever queued for a key while its previous
 * batch ran is handed over as the next batch, so a busy aggregate's events can be written together. A key's lane
 * exists only while it has work.
 *
 * @param <T> the queued item
 */
final class AggregateLanes<T> implements AutoCloseable {

    /** Handles one batch of a key's items, in order. */
    @FunctionalInterface
    interface Worker<T> {
        void handle(String key, List<T> batch);
    }

    private static final Logger log = LoggerFactory.getLogger(AggregateLanes.class);

    private final ExecutorService pool;
    private final Worker<T> worker;
    private final int maxBatch;
    private final Map<String, ArrayDeque<T>> lanes = new HashMap<>();
    private final AtomicInteger queued = new AtomicInteger();

    AggregateLanes(int threads, String name, int maxBatch, Worker<T> worker) {
        AtomicInteger counter = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, name + "-lane-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        this.worker = worker;
        this.maxBatch = maxBatch;
    }

    void submit(String key, T item) {
        queued.incrementAndGet();
        synchronized (lanes) {
            ArrayDeque<T> lane = lanes.get(key);
            if (lane != null) {
                lane.add(item); // the lane is running; it will get to this item
                return;
            }
            lane = new ArrayDeque<>();
            lane.add(item);
            lanes.put(key, lane);
        }
        pool.execute(() -> drain(key));
    }

    /** Items submitted and not yet handled. */
    int queued() {
        return queued.get();
    }

    private void drain(String key) {
        while (true) {
            List<T> batch = new ArrayList<>();
            synchronized (lanes) {
                ArrayDeque<T> lane = lanes.get(key);
                if (lane.isEmpty()) {
                    lanes.remove(key);
                    return;
                }
                // Left in the lane while handled, so that new items queue behind instead of starting a second drain.
                Iterator<T> items = lane.iterator();
                while (items.hasNext() && batch.size() < maxBatch) {
                    batch.add(items.next());
                }
            }
            try {
                worker.handle(key, batch);
            } catch (RuntimeException e) {
                log.error("lane {}: batch failed unexpectedly", key, e);
            } finally {
                queued.addAndGet(-batch.size());
                synchronized (lanes) {
                    ArrayDeque<T> lane = lanes.get(key);
                    for (int i = 0; i < batch.size(); i++) {
                        lane.poll();
                    }
                }
            }
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
