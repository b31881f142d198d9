package dev.ferry.kafka.publish;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.relay.RecordPublisher;

/**
 * Makes a Kafka publisher per leadership term. Producers are durable and ordered: acks=all, an idempotent
 * producer where the broker offers one (otherwise one request in flight per connection, so retries cannot
 * reorder) and retries for two minutes. While Kafka is down, sends wait and the relay stops reading (its
 * in-flight bound); a send that still fails aborts the producer, and the relay restarts from its checkpoint, so
 * what reaches a partition is always a prefix of what was sent, followed by a re-send from the checkpoint.
 * Correctness never depends on Kafka transactions, which Azure Event Hubs lacks.
 */
public final class KafkaPublishers implements Supplier<RecordPublisher>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaPublishers.class);
    private static final int DELIVERY_TIMEOUT_MS = 120_000;
    /**
     * Bytes per partition batch. Kafka's default of 16 KB holds a single 10 KB event, so a backlog of large events
     * went out one record per partition per request, and the broker's per-request work set the pace.
     */
    public static final int BATCH_SIZE_BYTES = 256 * 1024;

    private final KafkaSettings settings;
    private final TopicProvisioner topics;
    private volatile boolean idempotence;

    public KafkaPublishers(KafkaSettings settings) {
        this.settings = settings;
        this.topics = new TopicProvisioner(settings);
        this.idempotence = settings.idempotence();
    }

    @Override
    public RecordPublisher get() {
        return new KafkaEventPublisher(new KafkaProducer<>(producerConfig(), new StringSerializer(),
            new ByteArraySerializer()), topics, settings, this::idempotenceRefused);
    }

    /** Makes sure a topic exists, e.g. the dead-letter topic at start-up. */
    public void ensureTopic(String topic) {
        topics.ensure(topic);
    }

    /** The relay's producer settings (the benchmark's raw pipeline produces with the same). */
    public Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>(settings.clientProperties());
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, settings.lingerMs());
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_SIZE_BYTES);
        config.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
        // A send that cannot be delivered within this fails; the relay then restarts from its checkpoint.
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MS);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, idempotence ? 5 : 1);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, settings.compression());
        return config;
    }

    private void idempotenceRefused() {
        if (idempotence) {
            idempotence = false;
            log.warn("the Kafka endpoint refuses idempotent producers; Ferry continues with acks=all and one request "
                + "in flight per connection: order is kept, a retried send may be duplicated, and consumers' "
                + "version check absorbs duplicates");
        }
    }

    @Override
    public void close() {
        topics.close();
    }
}
