package dev.ferry.it.replica;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.bson.Document;

import dev.ferry.core.wire.FerryHeaders;

/**
 * What the broker itself says, read with plain clients (never through Ferry): the entity records of topics with their
 * provenance, and a consumer group's committed offsets and members. A read that does not reach the end it set out to
 * read fails, naming what it did not read. Public for the projector tests of this module (same reads, other topics).
 */
public final class KafkaView implements AutoCloseable {

    /** How long a read of records already written may take, even on a loaded machine. */
    private static final Duration READ_BOUND = Duration.ofSeconds(60);

    /**
     * One entity change as published (tombstones, which carry no change to write, are left out).
     *
     * @param epoch    the relay term that published it
     * @param sequence its number in the relay's sequence
     */
    record Entry(TopicPartition partition, long offset, String key, String version, long epoch, long sequence) {
    }

    /**
     * One event record as published: where it is, the event's id ({@code ce_id}: a re-published copy has the same),
     * and its aggregate and version from the value.
     */
    public record EventRecord(TopicPartition partition, long offset, String eventId, String aggregateId, long version) {
    }

    private final String bootstrapServers;
    private final Admin admin;

    public KafkaView(String bootstrapServers) {
        this.bootstrapServers = bootstrapServers;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }

    /** Every entity change in these topics, from the beginning to their current end. */
    List<Entry> entries(List<String> topics) {
        Map<TopicPartition, Long> from = new HashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            for (String topic : topics) {
                consumer.partitionsFor(topic, Duration.ofSeconds(10))
                    .forEach(info -> from.put(new TopicPartition(topic, info.partition()), 0L));
            }
        }
        return entries(from);
    }

    /** The entity changes of these partitions, each from its offset to its current end. */
    List<Entry> entries(Map<TopicPartition, Long> from) {
        return read(from, record -> record.value() == null ? null : new Entry(partition(record), record.offset(),
            record.key(), header(record, FerryHeaders.CE_VERSION), Long.parseLong(header(record,
            FerryHeaders.FERRY_EPOCH)), Long.parseLong(header(record, FerryHeaders.FERRY_SEQUENCE))));
    }

    /** The event records of these partitions (of event topics), each from its offset to its current end. */
    public List<EventRecord> events(Map<TopicPartition, Long> from) {
        return read(from, record -> {
            Document event = Document.parse(new String(record.value(), UTF_8));
            return new EventRecord(partition(record), record.offset(), header(record, FerryHeaders.CE_ID),
                event.getString("aggregateId"), ((Number) event.get("version")).longValue());
        });
    }

    /** The partitions' end offsets now: the offset the next record of each will have. */
    public Map<TopicPartition, Long> ends(Set<TopicPartition> partitions) {
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            return new HashMap<>(consumer.endOffsets(partitions, READ_BOUND));
        }
    }

    /** The records of these partitions, each from its offset to its end as of the start of the read; null: left out. */
    private <T> List<T> read(Map<TopicPartition, Long> from, Function<ConsumerRecord<String, byte[]>, T> each) {
        List<T> read = new ArrayList<>();
        if (from.isEmpty()) {
            return read;
        }
        try (KafkaConsumer<String, byte[]> consumer = consumer()) {
            Map<TopicPartition, Long> end = consumer.endOffsets(from.keySet());
            consumer.assign(from.keySet());
            from.forEach(consumer::seek);
            long deadline = System.nanoTime() + READ_BOUND.toNanos();
            while (!behind(consumer, end).isEmpty()) {
                if (System.nanoTime() - deadline > 0) {
                    throw new IllegalStateException("could not read to their end within " + READ_BOUND
                        + " the partitions (position < end): " + behind(consumer, end));
                }
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end.get(partition(record))) {
                        T value = each.apply(record);
                        if (value != null) {
                            read.add(value);
                        }
                    }
                }
            }
        }
        return read;
    }

    /** The group's committed offsets: the next offset each partition's owner is to read. */
    public Map<TopicPartition, Long> committed(String group) {
        Map<TopicPartition, OffsetAndMetadata> offsets = get(admin.listConsumerGroupOffsets(group)
            .partitionsToOffsetAndMetadata());
        Map<TopicPartition, Long> committed = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        offsets.forEach((partition, offset) -> {
            if (offset != null) {
                committed.put(partition, offset.offset());
            }
        });
        return committed;
    }

    /** The group's members, by client id, with the partitions the coordinator has them own. */
    public Map<String, Set<TopicPartition>> members(String group) {
        ConsumerGroupDescription description = get(admin.describeConsumerGroups(List.of(group)).describedGroups()
            .get(group));
        Map<String, Set<TopicPartition>> members = new TreeMap<>();
        for (MemberDescription member : description.members()) {
            members.merge(member.clientId(), Set.copyOf(member.assignment().topicPartitions()),
                (a, b) -> java.util.stream.Stream.concat(a.stream(), b.stream()).collect(Collectors.toSet()));
        }
        return members;
    }

    private static TopicPartition partition(ConsumerRecord<?, ?> record) {
        return new TopicPartition(record.topic(), record.partition());
    }

    private static Map<TopicPartition, String> behind(KafkaConsumer<String, byte[]> consumer,
                                                      Map<TopicPartition, Long> end) {
        Map<TopicPartition, String> behind = new TreeMap<>((a, b) -> a.toString().compareTo(b.toString()));
        end.forEach((partition, offset) -> {
            long position = consumer.position(partition);
            if (position < offset) {
                behind.put(partition, position + " < " + offset);
            }
        });
        return behind;
    }

    private static String header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        if (header == null) {
            throw new IllegalStateException(record.topic() + "-" + record.partition() + "@" + record.offset()
                + " has no header " + name);
        }
        return new String(header.value(), UTF_8);
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> future) {
        try {
            return future.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the broker did not answer: " + e, e);
        }
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"); // what the replicators read
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(5));
    }
}
