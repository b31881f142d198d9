package dev.ferry.benchmark.lease;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.core.lease.Lease;
import dev.ferry.mongodb.lease.MongoLeaseStore;

/**
 * Holds a lease of its own in Ferry's lease collection and renews it every {@code interval} on a thread of its own,
 * through {@link MongoLeaseStore#renew} — the call a relay's leadership makes — on a client of its own, as a relay
 * process has one; it notes each renewal's latency (sent to answered). A renewal is sent {@code interval} after the
 * previous one was answered, as a relay's renewals are, so a stalled server shows as one long renewal, not as many.
 */
final class RenewalProbe implements AutoCloseable {

    static final String LEASE = "ferry-bench-renewal-probe";
    private static final String OWNER = "lease-benchmark";

    private final MongoClient client;
    private final MongoLeaseStore leases;
    private final Duration interval;
    private final long epoch;
    private final Thread thread;
    private final AtomicLong failures = new AtomicLong();
    /** Renewal latencies in ms, noted while recording. */
    private final List<Double> recorded = new ArrayList<>();
    private volatile boolean recording;
    private volatile boolean running = true;

    RenewalProbe(String mongoUri, String database, String collection, Duration interval) {
        this.client = MongoClients.create(mongoUri);
        this.leases = new MongoLeaseStore(client.getDatabase(database), collection);
        this.interval = interval;
        Lease taken = leases.tryAcquire(LEASE, OWNER, leases.read(LEASE))
            .orElseThrow(() -> new IllegalStateException("could not take the probe's lease " + LEASE));
        this.epoch = taken.epoch();
        this.thread = new Thread(this::renewUntilClosed, "lease-renewal-probe");
        thread.setDaemon(true);
        thread.start();
    }

    /** Starts noting renewals, dropping any noted before. */
    void startRecording() {
        synchronized (recorded) {
            recorded.clear();
        }
        recording = true;
    }

    /** Stops noting renewals; returns those noted since {@link #startRecording()}, in ms, in order. */
    double[] stopRecording() {
        recording = false;
        synchronized (recorded) {
            return recorded.stream().mapToDouble(Double::doubleValue).toArray();
        }
    }

    /** Renewals that failed (an exception, or the lease found not ours: nobody else contends for it). */
    long failures() {
        return failures.get();
    }

    private void renewUntilClosed() {
        while (running) {
            long sent = System.nanoTime();
            boolean renewed;
            try {
                renewed = leases.renew(LEASE, OWNER, epoch);
            } catch (RuntimeException e) {
                renewed = false;
            }
            double millis = (System.nanoTime() - sent) / 1e6;
            if (!renewed) {
                failures.incrementAndGet();
            }
            if (recording) {
                synchronized (recorded) {
                    recorded.add(millis);
                }
            }
            LockSupport.parkNanos(interval.toNanos());
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close();
    }
}
