package dev.ferry.kafka.projector;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key-ordered concurrency: tasks with the same key (one aggregate) run one after another in submission order;
 * tasks with different keys run in parallel on a fixed pool. A key's lane exists only while it has work.
 */
final class AggregateLanes implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AggregateLanes.class);

    private final ExecutorService pool;
    private final Map<String, Queue<Runnable>> lanes = new HashMap<>();
    private final AtomicInteger queued = new AtomicInteger();

    AggregateLanes(int threads, String name) {
        AtomicInteger counter = new AtomicInteger();
        this.pool = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, name + "-lane-" + counter.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
    }

    void submit(String key, Runnable task) {
        queued.incrementAndGet();
        synchronized (lanes) {
            Queue<Runnable> lane = lanes.get(key);
            if (lane != null) {
                lane.add(task); // the lane is running; it will get to this task
                return;
            }
            lane = new ArrayDeque<>();
            lane.add(task);
            lanes.put(key, lane);
        }
        pool.execute(() -> drain(key));
    }

    /** Tasks submitted and not yet finished. */
    int queued() {
        return queued.get();
    }

    private void drain(String key) {
        while (true) {
            Runnable task;
            synchronized (lanes) {
                Queue<Runnable> lane = lanes.get(key);
                task = lane.peek();
                if (task == null) {
                    lanes.remove(key);
                    return;
                }
            }
            try {
                task.run();
            } catch (RuntimeException e) {
                log.error("lane {}: task failed unexpectedly", key, e);
            } finally {
                queued.decrementAndGet();
                synchronized (lanes) {
                    lanes.get(key).poll();
                }
            }
        }
    }

    /** Stops taking tasks; interrupts running ones (they are abandoned, not committed). */
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
