package dev.ferry.benchmark.pipeline;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

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
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    EpochWatch(String bootstrapServers, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "epoch-watch-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        thread = new Thread(this::run, "epoch-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (running) {
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(10))) {
                long seenAt = System.currentTimeMillis();
                Header epoch = record.headers().lastHeader(FerryHeaders.FERRY_EPOCH);
                if (epoch != null) {
                    long value = Long.parseLong(new String(epoch.value(), StandardCharsets.UTF_8));
                    firsts.putIfAbsent(value, new First(record.timestamp(), seenAt));
                    spans.merge(value, new Span(1, record.timestamp()),
                        (a, b) -> new Span(a.records() + 1, Math.max(a.lastCreatedAt(), b.lastCreatedAt())));
                }
            }
        }
        consumer.close();
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
        running = false;
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
