package dev.ferry.it.support;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import dev.ferry.core.event.Event;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.engine.wire.EventJsonDecoder;

/**
 * Reads every record of the topics with a prefix, exactly up to their end offsets as of the start of the read (a
 * plain consumer polling until its position equals {@code endOffsets}). A read that cannot reach those offsets in time
 * fails, naming the partitions it did not finish, rather than returning what it has: "nothing there" is only ever
 * concluded from a complete read.
 */
public final class TopicRecords {

    /** A complete read of a test's topics takes well under a second; this is for a 2-core machine under load. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private final String bootstrapServers;
    private final boolean readCommitted;
    private final EventJsonDecoder decoder = new EventJsonDecoder();

    /** Reads everything the partitions hold, as a consumer reading {@code read_uncommitted} (Kafka's default). */
    public TopicRecords(String bootstrapServers) {
        this(bootstrapServers, false);
    }

    /** @param readCommitted read as a {@code read_committed} consumer: only committed records, up to the last stable offset */
    public TopicRecords(String bootstrapServers, boolean readCommitted) {
        this.bootstrapServers = bootstrapServers;
        this.readCommitted = readCommitted;
    }

    /** How many records the topics with this prefix hold right now. */
    public long count(String prefix) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, prefix);
            return consumer.endOffsets(partitions).values().stream().mapToLong(Long::longValue).sum();
        }
    }

    /** Every event record of the topics with this prefix (not the dead-letter topic), in partition and offset order. */
    public List<PublishedRecord> read(String prefix, String excludedTopic) {
        List<PublishedRecord> records = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, prefix).stream()
                .filter(partition -> !partition.topic().equals(excludedTopic)).toList();
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (!reachedEnd(consumer, end)) {
                failIfPast(deadline, consumer, end, records.size());
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Event event = decoder.decode(record.value());
                    records.add(new PublishedRecord(record.topic(), record.partition(), record.offset(), record.key(),
                        event.eventId(), event.aggregateType(), event.aggregateId(), event.version(),
                        Long.parseLong(header(record, FerryHeaders.FERRY_EPOCH)),
                        Long.parseLong(header(record, FerryHeaders.FERRY_SEQUENCE)),
                        header(record, FerryHeaders.FERRY_INSTANCE)));
                }
            }
        }
        records.sort(Comparator.comparing(PublishedRecord::topic).thenComparingInt(PublishedRecord::partition)
            .thenComparingLong(PublishedRecord::offset));
        return records;
    }

    /** Raw values of one topic (e.g. the dead-letter topic), with their headers as strings. */
    public List<ConsumerRecord<String, byte[]>> readRaw(String topic) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                .map(info -> new TopicPartition(topic, info.partition())).toList();
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (!reachedEnd(consumer, end)) {
                failIfPast(deadline, consumer, end, records.size());
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }

    /**
     * Raw records of every topic with this prefix, by topic, each in partition and offset order: one consumer for them
     * all (cheaper than {@link #readRaw} per topic when a test reads many topics often).
     */
    public Map<String, List<ConsumerRecord<String, byte[]>>> readAllRaw(String prefix) {
        Map<String, List<ConsumerRecord<String, byte[]>>> byTopic = new java.util.TreeMap<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, prefix);
            partitions.forEach(partition -> byTopic.putIfAbsent(partition.topic(), new ArrayList<>()));
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            int[] read = {0};
            while (!reachedEnd(consumer, end)) {
                failIfPast(deadline, consumer, end, read[0]);
                consumer.poll(Duration.ofMillis(200)).forEach(record -> {
                    byTopic.get(record.topic()).add(record);
                    read[0]++;
                });
            }
        }
        byTopic.values().forEach(records -> records.sort(Comparator.<ConsumerRecord<String, byte[]>>comparingInt(
            ConsumerRecord::partition).thenComparingLong(ConsumerRecord::offset)));
        return byTopic;
    }

    public static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), UTF_8);
    }

    /**
     * Re-reads the topics until every one of {@code expected} has at least one record, and returns that read; fails
     * after {@code timeout}, naming how many and which (the first 20) events are missing.
     */
    public List<PublishedRecord> awaitEvents(String prefix, String excludedTopic, Collection<Event> expected,
                                             Duration timeout) {
        AtomicReference<List<PublishedRecord>> complete = new AtomicReference<>();
        await().atMost(timeout).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
            List<PublishedRecord> records = read(prefix, excludedTopic);
            Set<String> missing = new LinkedHashSet<>();
            expected.forEach(event -> missing.add(event.eventId()));
            records.forEach(record -> missing.remove(record.eventId()));
            if (!missing.isEmpty()) {
                throw new AssertionError(missing.size() + " of " + expected.size() + " events not in the topics "
                    + prefix + "* (" + records.size() + " records read to the end offsets); the first missing: "
                    + missing.stream().limit(20).toList());
            }
            complete.set(records);
        });
        return complete.get();
    }

    /** The end offset of every partition of the topics with this prefix (but {@code excludedTopic}), right now. */
    public Map<TopicPartition, Long> endOffsets(String prefix, String excludedTopic) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = partitions(consumer, prefix).stream()
                .filter(partition -> !partition.topic().equals(excludedTopic)).toList();
            return new java.util.HashMap<>(consumer.endOffsets(partitions));
        }
    }

    private static void failIfPast(long deadline, KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end,
                                   int read) {
        if (System.nanoTime() - deadline <= 0) {
            return;
        }
        List<String> unfinished = end.entrySet().stream()
            .filter(e -> consumer.position(e.getKey()) < e.getValue())
            .map(e -> e.getKey() + " at offset " + consumer.position(e.getKey()) + " of " + e.getValue()).toList();
        throw new AssertionError("reading to the end offsets took over " + READ_TIMEOUT.toSeconds() + " s: " + read
            + " records read, not read to the end: " + unfinished);
    }

    private static boolean reachedEnd(KafkaConsumer<String, byte[]> consumer, Map<TopicPartition, Long> end) {
        return end.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue());
    }

    private List<TopicPartition> partitions(KafkaConsumer<String, byte[]> consumer, String prefix) {
        Set<String> topics;
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            topics = admin.listTopics().names().get().stream().filter(t -> t.startsWith(prefix))
                .collect(Collectors.toSet());
        } catch (Exception e) {
            throw new IllegalStateException("cannot list topics", e);
        }
        List<TopicPartition> partitions = new ArrayList<>();
        for (String topic : topics) {
            consumer.partitionsFor(topic, Duration.ofSeconds(10))
                .forEach(info -> partitions.add(new TopicPartition(topic, info.partition())));
        }
        return partitions;
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }
}
