package dev.ferry.benchmark.raw;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.kafka.publish.TopicProvisioner;

/**
 * A plain Kafka producer (the relay's producer settings: the same batching and acknowledgements) on a topic of its own
 * with the topic's partitions, and plain consumers: a group per replica, {@value RawBaselines#MAX_POLL_RECORDS}
 * records per poll, offsets committed asynchronously after each poll's write.
 */
final class RawKafkaChannel implements RawChannel {

    private final KafkaSettings kafka;
    private final String topic = "raw-replication-" + UUID.randomUUID();
    private final KafkaProducer<String, byte[]> producer;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    RawKafkaChannel(KafkaSettings kafka) {
        this.kafka = kafka;
        try (TopicProvisioner topics = new TopicProvisioner(kafka)) {
            topics.ensure(topic); // waits for the partition leaders
        }
        KafkaPublishers relay = new KafkaPublishers(kafka);
        try {
            Properties props = new Properties();
            props.putAll(relay.producerConfig());
            producer = new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        } finally {
            relay.close();
        }
        producer.partitionsFor(topic);
    }

    @Override
    public void publish(String key, byte[] value) throws Exception {
        if (failure.get() != null) {
            throw failure.get();
        }
        producer.send(new ProducerRecord<>(topic, key, value), (metadata, error) -> {
            if (error != null) {
                failure.compareAndSet(null, error);
            }
        });
    }

    @Override
    public void flush() throws Exception {
        producer.flush();
        if (failure.get() != null) {
            throw failure.get();
        }
    }

    @Override
    public RawChannel.Consumer consumer(String group) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-" + group + "-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, RawBaselines.MAX_POLL_RECORDS);
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
            new ByteArrayDeserializer());
        consumer.subscribe(List.of(topic));
        RawBaselines.awaitAssignment(consumer);
        return new RawChannel.Consumer() {
            @Override
            public List<RawChange> poll() {
                List<RawChange> changes = new ArrayList<>();
                for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    changes.add(RawChange.decode(record.value()));
                }
                return changes;
            }

            @Override
            public void acknowledge() {
                consumer.commitAsync();
            }

            @Override
            public void close() {
                consumer.close(Duration.ofSeconds(5));
            }
        };
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
