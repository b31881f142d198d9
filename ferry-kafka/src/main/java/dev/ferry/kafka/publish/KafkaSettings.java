package dev.ferry.kafka.publish;

import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;

import dev.ferry.core.partition.TopicNaming;

/**
 * How Ferry talks to Kafka.
 *
 * @param bootstrapServers  {@code host:port,…}
 * @param topicNaming       aggregate type to topic
 * @param partitions        partitions of each topic Ferry creates
 * @param replicationFactor replicas of each topic Ferry creates
 * @param deadLetterTopic   where documents that are not valid commits go
 * @param idempotence       use the idempotent producer (falls back with a log line where the broker refuses it)
 * @param lingerMs          producer batching delay; small for low latency
 * @param compression       producer compression, one of {@link #COMPRESSIONS}; Azure Event Hubs accepts only
 *                          {@code none} and {@code gzip}, so the default is {@code none}
 * @param clientProperties  extra client settings, e.g. SASL_SSL for Azure Event Hubs; never one Ferry sets itself
 *                          ({@link #OWNED_CLIENT_PROPERTIES}), which would silently weaken or be overridden
 */
public record KafkaSettings(String bootstrapServers, TopicNaming topicNaming, int partitions, short replicationFactor,
                            String deadLetterTopic, boolean idempotence, int lingerMs, String compression,
                            Map<String, Object> clientProperties) {

    /** The producer's {@code compression.type} values. */
    public static final Set<String> COMPRESSIONS = Set.of("none", "gzip", "snappy", "lz4", "zstd");

    /** Longest {@code lingerMs} accepted: a longer wait would trade Ferry's latency for batching. */
    public static final int MAX_LINGER_MS = 5;

    /**
     * The relay producer's default batching delay. A producer with requests in flight batches what arrives meanwhile
     * anyway, so lingering buys little throughput and costs latency (measured in the pipeline benchmark).
     */
    public static final int DEFAULT_LINGER_MS = 0;

    /**
     * Client settings Ferry's guarantees rest on (durability, order, manual commits) or that have their own setting;
     * a value for one of them in {@code clientProperties} is refused rather than silently overridden.
     */
    public static final Set<String> OWNED_CLIENT_PROPERTIES = Set.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG,
        CommonClientConfigs.CLIENT_ID_CONFIG,
        ProducerConfig.ACKS_CONFIG, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG,
        ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, ProducerConfig.RETRIES_CONFIG,
        ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, ProducerConfig.LINGER_MS_CONFIG, ProducerConfig.BATCH_SIZE_CONFIG,
        ProducerConfig.COMPRESSION_TYPE_CONFIG, ProducerConfig.TRANSACTIONAL_ID_CONFIG,
        ProducerConfig.TRANSACTION_TIMEOUT_CONFIG,
        ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
        ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
        ConsumerConfig.GROUP_ID_CONFIG, ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
        ConsumerConfig.ISOLATION_LEVEL_CONFIG, ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
        ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG,
        ConsumerConfig.MAX_POLL_RECORDS_CONFIG);

    public KafkaSettings {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(topicNaming, "topicNaming");
        Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
        clientProperties = Map.copyOf(clientProperties);
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replicationFactor must be at least 1, was " + replicationFactor);
        }
        if (lingerMs < 0 || lingerMs > MAX_LINGER_MS) {
            throw new IllegalArgumentException("lingerMs must be 0.." + MAX_LINGER_MS + " for low latency, was " + lingerMs);
        }
        if (!COMPRESSIONS.contains(compression)) {
            throw new IllegalArgumentException("compression must be one of " + new java.util.TreeSet<>(COMPRESSIONS)
                + ", was '" + compression + "'");
        }
        for (String key : clientProperties.keySet()) {
            if (OWNED_CLIENT_PROPERTIES.contains(key)) {
                throw new IllegalArgumentException("client property '" + key + "' is set by Ferry"
                    + (key.equals("compression.type") ? " (use the compression setting)" : "") + " and cannot be overridden");
            }
        }
    }

    /**
     * Settings for a single local broker (the embedded one): 6 partitions, 1 replica, topics {@code ferry.<type>}, the
     * default linger, no compression (on loopback it only costs CPU).
     */
    public static KafkaSettings local(String bootstrapServers) {
        return new KafkaSettings(bootstrapServers, new TopicNaming("ferry."), 6, (short) 1, "ferry.dead-letter", true,
            DEFAULT_LINGER_MS, "none", Map.of());
    }

    /** The same settings with topics named by {@code naming} and dead letters in {@code deadLetterTopic}. */
    public KafkaSettings withTopics(TopicNaming naming, String deadLetterTopic) {
        return new KafkaSettings(bootstrapServers, naming, partitions, replicationFactor, deadLetterTopic, idempotence,
            lingerMs, compression, clientProperties);
    }

    /** The same settings with another producer batching delay. */
    public KafkaSettings withLingerMs(int lingerMs) {
        return new KafkaSettings(bootstrapServers, topicNaming, partitions, replicationFactor, deadLetterTopic, idempotence,
            lingerMs, compression, clientProperties);
    }

    /** The same settings with another producer compression. */
    public KafkaSettings withCompression(String compression) {
        return new KafkaSettings(bootstrapServers, topicNaming, partitions, replicationFactor, deadLetterTopic, idempotence,
            lingerMs, compression, clientProperties);
    }
}
