package dev.ferry.benchmark.pipeline;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.ferry.core.wire.FerryHeaders;

/**
 * Reads the pipeline's topic or stream as it is written ({@link PipelineTail}) and notes, for each lease epoch (the
 * record header {@link FerryHeaders#FERRY_EPOCH}), its first record — when the relay's producer created it (Kafka) or
 * the stream stored it (NATS), and when it could be read from the broker, i.e. after the broker acknowledged it — and
 * how many records it had, the last one published when.
 */
final class EpochWatch implements AutoCloseable {

    /**
     * An epoch's first record, wall-clock milliseconds: created by the producer (Kafka; -1 on NATS), stored by the
     * stream (NATS; -1 on Kafka), and seen here.
     */
    record First(long sentAt, long storedAt, long seenAt) {

        /** The relay's publish time the transport gives: the send on Kafka, the store on NATS. */
        long publishedAt() {
            return sentAt >= 0 ? sentAt : storedAt;
        }
    }

    /** An epoch's records so far: how many, and the publish time of the latest (wall-clock ms). */
    record Span(long records, long lastPublishedAt) {
    }

    private final Map<Long, First> firsts = new ConcurrentHashMap<>();
    private final Map<Long, Span> spans = new ConcurrentHashMap<>();
    private final PipelineTail tail;

    EpochWatch(ProductionLayout layout) {
        tail = PipelineTail.open(layout, "epoch-watch", Duration.ofMillis(10), this::note);
    }

    private void note(TailedRecord record) {
        if (record.epoch() >= 0) {
            firsts.putIfAbsent(record.epoch(), new First(record.sentAt(), record.storedAt(), record.seenAt()));
            spans.merge(record.epoch(), new Span(1, record.publishedAt()),
                (a, b) -> new Span(a.records() + 1, Math.max(a.lastPublishedAt(), b.lastPublishedAt())));
        }
    }

    /** Waits until a record of {@code epoch} has been seen. */
    void awaitEpoch(long epoch, Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!firsts.containsKey(epoch)) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no record of epoch " + epoch + " within " + atMost);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
        }
    }

    /**
     * Waits until the epochs after {@code epoch} had {@code records} together (a leader that lost and re-took its
     * lease publishes in more than one); returns their earliest first record and their span.
     */
    Map.Entry<First, Span> awaitRecordsAfter(long epoch, long records, Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            Span span = spans.entrySet().stream().filter(e -> e.getKey() > epoch).map(Map.Entry::getValue)
                .reduce(new Span(0, 0), (a, b) -> new Span(a.records() + b.records(),
                    Math.max(a.lastPublishedAt(), b.lastPublishedAt())));
            if (span.records() >= records) {
                First first = firsts.entrySet().stream().filter(e -> e.getKey() > epoch).map(Map.Entry::getValue)
                    .min((a, b) -> Long.compare(a.publishedAt(), b.publishedAt())).orElseThrow();
                return Map.entry(first, span);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the epochs after " + epoch + " had " + span.records() + " of "
                    + records + " records after " + atMost);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    /** Waits for the first record of any epoch after {@code epoch}; returns the earliest seen. */
    First awaitAfter(long epoch, Duration atMost) {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            First first = firsts.entrySet().stream().filter(e -> e.getKey() > epoch).map(Map.Entry::getValue)
                .min((a, b) -> Long.compare(a.seenAt(), b.seenAt())).orElse(null);
            if (first != null) {
                return first;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no record of an epoch after " + epoch + " within " + atMost);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
    }

    @Override
    public void close() {
        tail.close();
    }
}
