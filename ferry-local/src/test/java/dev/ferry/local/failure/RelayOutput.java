package dev.ferry.local.failure;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.nats.client.Connection;

import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.StreamContents;

/**
 * What the relays have published so far, read from the broker with a plain client (not Ferry's subscription): each
 * record's provenance, the lease epoch it was published in and its position in the relay's output.
 */
final class RelayOutput {

    /** A record as published: in lease epoch {@code epoch}, at {@code sequence} of the relay's output. */
    record Published(long epoch, long sequence) {
    }

    private RelayOutput() {
    }

    /**
     * Every record of the topics up to their ends now; fails naming the partitions it could not read to the end within
     * {@code atMost} (a partial read would under-count what was published).
     */
    static List<Published> kafka(String bootstrapServers, List<String> topics, Duration atMost) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false, ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        List<Published> published = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
            new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic, Duration.ofSeconds(10))
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + atMost.toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read the topics to their ends within " + atMost + ": "
                        + partitions.stream().filter(p -> consumer.position(p) < ends.get(p))
                            .map(p -> p + " at " + consumer.position(p) + " of " + ends.get(p)).toList());
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                        published.add(new Published(header(record, FerryHeaders.FERRY_EPOCH),
                            header(record, FerryHeaders.FERRY_SEQUENCE)));
                    }
                }
            }
        }
        return published;
    }

    private static long header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        if (header == null) {
            throw new IllegalStateException("record " + record.topic() + "-" + record.partition() + "@"
                + record.offset() + " has no " + name + " header");
        }
        return Long.parseLong(new String(header.value(), StandardCharsets.UTF_8));
    }

    /** Every message of the stream's partitions' subjects (the stream read message by message, to its last now). */
    static List<Published> nats(NatsSettings settings) {
        Connection connection = NatsConnections.open(settings, "ferry-failure-test");
        try {
            List<Published> published = new ArrayList<>();
            for (StreamContents.StoredMessage message : StreamContents.read(connection, settings.stream())) {
                if (settings.subjects().parse(message.subject()).isPresent()) {
                    published.add(new Published(Long.parseLong(message.header(FerryHeaders.FERRY_EPOCH)),
                        Long.parseLong(message.header(FerryHeaders.FERRY_SEQUENCE))));
                }
            }
            return published;
        } finally {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
