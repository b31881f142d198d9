package dev.ferry.benchmark.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

import dev.ferry.core.wire.FerryHeaders;

/**
 * Reads a topic as it is written and notes, for each lease epoch (the record header {@link FerryHeaders#FERRY_EPOCH}),
 * its first record — when the relay's producer created it and when it could be read from the broker, i.e. after the
 * broker acknowledged it — and how many records it had, the last one created when.
 */
final class EpochWatch implements AutoCloseable {

    /** An epoch's first record: created by the producer, and seen here; wall-clock milliseconds. */
    record First(long createdAt, long seenAt) {
    }

    /** An epoch's records so far: how many, and the creation time of the latest (wall-clock ms). */
    record Span(long records, long lastCreatedAt) {
    }

    private final Map<Long, First> firsts = new ConcurrentHashMap<>();
    private final Map<Long, Span> spans = new ConcurrentHashMap<>();
    private final TopicTail tail;

    EpochWatch(String bootstrapServers, String topic) {
        tail = new TopicTail(bootstrapServers, topic, "epoch-watch", Duration.ofMillis(10), this::note);
    }

    private void note(ConsumerRecord<byte[], byte[]> record) {
        long seenAt = System.currentTimeMillis();
        Header epoch = record.headers().lastHeader(FerryHeaders.FERRY_EPOCH);
        if (epoch != null) {
            long value = Long.parseLong(new String(epoch.value(), StandardCharsets.UTF_8));
            firsts.putIfAbsent(value, new First(record.timestamp(), seenAt));
            spans.merge(value, new Span(1, record.timestamp()),
                (a, b) -> new Span(a.records() + 1, Math.max(a.lastCreatedAt(), b.lastCreatedAt())));
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
                    Math.max(a.lastCreatedAt(), b.lastCreatedAt())));
            if (span.records() >= records) {
                First first = firsts.entrySet().stream().filter(e -> e.getKey() > epoch).map(Map.Entry::getValue)
                    .min((a, b) -> Long.compare(a.createdAt(), b.createdAt())).orElseThrow();
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
