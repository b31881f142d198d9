package dev.ferry.benchmark.replication;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import org.bson.Document;

import com.mongodb.client.MongoCollection;

import dev.ferry.benchmark.raw.PatientDocuments;

/**
 * Writers as fast as the source accepts: {@code writers} threads, each inserting new patients one at a time (an
 * application's writes, each acknowledged before the next) until the window ends.
 */
final class PatientWriters {

    /** What the writers did: how many documents, from the first write's start to the last one's acknowledgement. */
    record Writes(long count, long firstNanos, long lastNanos) {
        double perSecond() {
            return count / ((lastNanos - firstNanos) / 1e9);
        }
    }

    private PatientWriters() {
    }

    static Writes write(MongoCollection<Document> patients, int writers, Duration window, int bytes, String prefix)
        throws Exception {
        AtomicLong written = new AtomicLong();
        AtomicLong last = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        long first = System.nanoTime();
        long end = first + window.toNanos();
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                String ids = prefix + w + "-";
                running.add(pool.submit(() -> {
                    for (long i = 0; System.nanoTime() < end; i++) {
                        patients.insertOne(PatientDocuments.patient(ids + i, bytes));
                        written.incrementAndGet();
                        last.accumulateAndGet(System.nanoTime(), Math::max);
                    }
                    return null;
                }));
            }
            for (Future<?> writer : running) {
                writer.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Writes(written.get(), first, last.get());
    }
}
