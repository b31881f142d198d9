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
 * A window's renewals are those in flight at any moment of it: one sent just before a bulk operation and answered
 * after it, having waited behind it, counts.
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
    /** Every renewal since the last {@link #clear()}, in order. */
    private final List<Renewal> renewals = new ArrayList<>();
    private volatile boolean running = true;

    /** One renewal: sent and answered, {@link System#nanoTime()}. */
    private record Renewal(long sentNanos, long answeredNanos) {
    }

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

    /** Forgets the renewals so far (each window needs only its own). */
    void clear() {
        synchronized (renewals) {
            renewals.clear();
        }
    }

    /**
     * The latencies (ms, in order) of the renewals in flight at some moment from {@code fromNanos} to {@code toNanos};
     * first waits for the one in flight at {@code toNanos} to be answered.
     */
    double[] during(long fromNanos, long toNanos) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
        while (running && System.nanoTime() < deadline) {
            synchronized (renewals) {
                if (!renewals.isEmpty() && renewals.get(renewals.size() - 1).answeredNanos() > toNanos) {
                    break;
                }
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
        synchronized (renewals) {
            return renewals.stream().filter(r -> r.answeredNanos() >= fromNanos && r.sentNanos() <= toNanos)
                .mapToDouble(r -> (r.answeredNanos() - r.sentNanos()) / 1e6).toArray();
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
            long answered = System.nanoTime();
            if (!renewed) {
                failures.incrementAndGet();
            }
            synchronized (renewals) {
                renewals.add(new Renewal(sent, answered));
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
