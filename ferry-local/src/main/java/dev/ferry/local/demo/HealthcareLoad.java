package dev.ferry.local.demo;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.store.ConcurrencyConflict;
import dev.ferry.core.store.EventStore;

/**
 * Appends healthcare events at a fixed rate from writers that share aggregates, so some appends conflict and are
 * retried after reloading the aggregate: the event store's optimistic concurrency at work. Open loop: the i-th event
 * is due at start + i / rate and whichever writer is free appends it, so the load keeps its rate while an append
 * waits for the server (two writers each appending in turn reached only 240–310 of 500 events/s: every append is a
 * round trip, and a conflict two).
 */
public final class HealthcareLoad {

    /** Appends in flight at most: at 500/s each may take up to 32 ms; idle writers only wait. */
    private static final int WRITERS = 16;

    private final EventStore store;
    private final int aggregates;
    private final long events;
    private final int ratePerSecond;
    private final String padding;
    private final AtomicLong claimed = new AtomicLong();
    private final AtomicLong appended = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();
    private volatile long startedAt;
    private volatile long lastAppendAt;
    private final ConcurrentHashMap<String, Long> versions = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Boolean> registered = new ConcurrentHashMap<>();
    private final ExecutorService writers = Executors.newFixedThreadPool(WRITERS, runnable -> {
        Thread thread = new Thread(runnable, "demo-load");
        thread.setDaemon(true);
        return thread;
    });
    private volatile boolean stopped;

    public HealthcareLoad(EventStore store, int aggregates, long events, int ratePerSecond, int payloadBytes) {
        this.store = store;
        this.aggregates = aggregates;
        this.events = events;
        this.ratePerSecond = ratePerSecond;
        this.padding = "x".repeat(Math.max(0, payloadBytes - 80));
    }

    public void start() {
        startedAt = System.nanoTime();
        for (int i = 0; i < WRITERS; i++) {
            writers.execute(this::write);
        }
        writers.shutdown();
    }

    public boolean awaitDone(long timeout, TimeUnit unit) throws InterruptedException {
        return writers.awaitTermination(timeout, unit);
    }

    public void stop() {
        stopped = true;
    }

    public long appended() {
        return appended.get();
    }

    public long conflicts() {
        return conflicts.get();
    }

    /** Events appended per second from the start to the latest append. */
    public double achievedPerSecond() {
        long elapsed = lastAppendAt - startedAt;
        return elapsed <= 0 ? 0 : appended.get() / (elapsed / 1e9);
    }

    private void write() {
        long interval = TimeUnit.SECONDS.toNanos(1) / Math.max(1, ratePerSecond);
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (long i = claimed.getAndIncrement(); !stopped && i < events; i = claimed.getAndIncrement()) {
            LockSupport.parkNanos(startedAt + i * interval - System.nanoTime());
            int n = random.nextInt(aggregates);
            // One in five aggregates is a practitioner.
            String type = n % 5 == 0 ? HealthcareDomain.PRACTITIONER : HealthcareDomain.PATIENT;
            appendOne(type, type + "-" + n, random);
        }
    }

    private void appendOne(String type, String id, ThreadLocalRandom random) {
        while (!stopped) {
            long expected = versions.getOrDefault(id, 0L);
            NewEvent event = next(type, id, random);
            try {
                List<Event> stored = store.append(type, id, expected, List.of(event));
                versions.merge(id, stored.get(0).version(), Math::max);
                registered.put(id, !event.eventType().equals("PatientDischarged")
                    && !event.eventType().equals("PractitionerRemoved"));
                appended.incrementAndGet();
                lastAppendAt = System.nanoTime();
                return;
            } catch (ConcurrencyConflict conflict) {
                conflicts.incrementAndGet();
                List<Event> history = store.read(type, id);
                versions.put(id, (long) history.size());
                registered.put(id, !history.isEmpty() && !history.get(history.size() - 1).eventType().matches(".*(Discharged|Removed)"));
            }
        }
    }

    private NewEvent next(String type, String id, ThreadLocalRandom random) {
        boolean patient = type.equals(HealthcareDomain.PATIENT);
        if (!registered.getOrDefault(id, false)) {
            return patient
                ? new NewEvent("PatientRegistered", "{\"name\":\"Patient " + id + "\",\"ward\":" + random.nextInt(1, 20)
                    + ",\"notes\":\"" + padding + "\"}")
                : new NewEvent("PractitionerRegistered", "{\"name\":\"Dr. " + id + "\",\"specialty\":\"cardiology\","
                    + "\"notes\":\"" + padding + "\"}");
        }
        if (random.nextInt(100) < 4) {
            return new NewEvent(patient ? "PatientDischarged" : "PractitionerRemoved", "{}");
        }
        return patient
            ? new NewEvent("PatientUpdated", "{\"ward\":" + random.nextInt(1, 20) + ",\"pulse\":" + random.nextInt(50, 120) + "}")
            : new NewEvent("PractitionerUpdated", "{\"onCall\":" + random.nextBoolean() + "}");
    }
}
