package dev.ferry.it.support;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
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
import dev.ferry.kafka.publish.FerryHeaders;
import dev.ferry.engine.wire.EventJsonDecoder;

/** Reads every record of the topics with a prefix, exactly up to their current end offsets. */
public final class TopicRecords {

    private final String bootstrapServers;
    private final EventJsonDecoder decoder = new EventJsonDecoder();

    public TopicRecords(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
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
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!reachedEnd(consumer, end) && System.nanoTime() < deadline) {
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
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!reachedEnd(consumer, end) && System.nanoTime() < deadline) {
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
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (!reachedEnd(consumer, end) && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(record -> byTopic.get(record.topic()).add(record));
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
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }
}
