package dev.ferry.benchmark.pipeline;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Writes a copied source at a fixed rate while a relay copies it, each write carrying a number of its own (its
 * {@code probe}, from 1) and noting when it was sent ({@link System#nanoTime()}), so a record of the topic that carries
 * the number dates the write it comes from. What a write is, is the caller's: {@link EntityDocuments#writes} for an
 * entity collection, an appended commit for the event store.
 * <p>
 * The schedule is open (write n is due at start + n / rate, whatever the earlier ones take): one thread hands each
 * write, when due, to a few writing threads, so a write the server answers slowly (the embedded MongoDB answers one
 * operation at a time, the copy's reads among them) does not thin the ones after it. A single writing thread kept
 * 90-140 of 200 writes/s during an entity copy on 2 busy cores.
 */
final class ProbeWriter implements AutoCloseable {

    /** The field each write sets, as the records carry it (a document's field, an event payload's). */
    static final String PROBE = "probe";
    /** Enough for 200 writes/s answered in up to 40 ms each; slower answers queue here. */
    private static final int WRITING_THREADS = 8;

    private final LongConsumer write;
    private final long periodNanos;
    private final Map<Long, Long> sentAt = new ConcurrentHashMap<>();
    private final AtomicLong due = new AtomicLong();
    private final Thread dispatcher;
    private final ExecutorService writing = Executors.newFixedThreadPool(WRITING_THREADS, task -> {
        Thread thread = new Thread(task, "probe-writer");
        thread.setDaemon(true);
        return thread;
    });
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private volatile boolean running = true;

    /** {@code write} writes the number it is given; it is called from several threads. */
    ProbeWriter(LongConsumer write, int perSecond) {
        this.write = write;
        this.periodNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
        dispatcher = new Thread(this::dispatch, "probe-writer-schedule");
        dispatcher.setDaemon(true);
    }

    void start() {
        dispatcher.start();
    }

    private void dispatch() {
        long start = System.nanoTime();
        for (long probe = 1; running && failure.get() == null; probe++) {
            long at = start + (probe - 1) * periodNanos;
            while (running && System.nanoTime() - at < 0) {
                LockSupport.parkNanos(at - System.nanoTime());
            }
            if (!running) {
                return;
            }
            long number = probe;
            writing.execute(() -> write(number));
            due.set(probe);
        }
    }

    private void write(long probe) {
        try {
            sentAt.put(probe, System.nanoTime());
            write.accept(probe);
        } catch (RuntimeException e) {
            failure.compareAndSet(null, e);
        }
    }

    /** When write {@code probe} was sent ({@link System#nanoTime()}); empty for a number never sent. */
    OptionalLong sentAt(long probe) {
        Long at = sentAt.get(probe);
        return at == null ? OptionalLong.empty() : OptionalLong.of(at);
    }

    /** The number of the last write handed over; they are numbered from 1 (all are done once closed). */
    long written() {
        return due.get();
    }

    /** Stops writing once the writes handed over are done; a write that failed fails here. */
    @Override
    public void close() {
        running = false;
        try {
            dispatcher.join(TimeUnit.SECONDS.toMillis(5));
            writing.shutdown();
            if (!writing.awaitTermination(30, TimeUnit.SECONDS)) {
                writing.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a write failed, after " + written() + " were handed over", failure.get());
        }
    }
}
