package dev.ferry.benchmark.pipeline;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.Consumer;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A consumer group of its own reading a topic from its end, as it is written, on a daemon thread: each record is
 * handed over as it arrives, so the benchmark's observers see the pipeline's topic without joining Ferry's group.
 */
final class TopicTail implements AutoCloseable {

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Thread thread;
    private volatile boolean running = true;

    TopicTail(String bootstrapServers, String topic, String name, Duration pollTimeout,
              Consumer<ConsumerRecord<byte[], byte[]>> onRecord) {
        this(subscribed(bootstrapServers, topic, name), name, pollTimeout, onRecord);
    }

    private TopicTail(KafkaConsumer<byte[], byte[]> consumer, String name, Duration pollTimeout,
                      Consumer<ConsumerRecord<byte[], byte[]>> onRecord) {
        this.consumer = consumer;
        thread = new Thread(() -> {
            while (running) {
                consumer.poll(pollTimeout).forEach(onRecord);
            }
            consumer.close();
        }, name);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Every partition of {@code topic}, which must exist, read from its end as it is when this returns, without a
     * consumer group: a group's join takes seconds, and records written meanwhile would be read late (from the
     * earliest offset) or never (from the latest), where a latency is measured from the first record on.
     */
    static TopicTail fromEndWithoutGroup(String bootstrapServers, String topic, String name, Duration pollTimeout,
                                         Consumer<ConsumerRecord<byte[], byte[]>> onRecord) {
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(properties(bootstrapServers),
            new ByteArrayDeserializer(), new ByteArrayDeserializer());
        try {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                .map(partition -> new TopicPartition(topic, partition.partition())).toList();
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + topic + " has no partitions: does it exist?");
            }
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position); // the end is taken now, not at the first poll
        } catch (RuntimeException e) {
            consumer.close();
            throw e;
        }
        return new TopicTail(consumer, name, pollTimeout, onRecord);
    }

    private static KafkaConsumer<byte[], byte[]> subscribed(String bootstrapServers, String topic, String name) {
        Properties props = properties(bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, name + "-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
            new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        return consumer;
    }

    private static Properties properties(String bootstrapServers) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
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
