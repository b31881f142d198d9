package dev.ferry.kafka.publish;

import java.util.Map;
import java.util.Objects;

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
 * @param clientProperties  extra client settings, e.g. SASL_SSL for Azure Event Hubs
 */
public record KafkaSettings(String bootstrapServers, TopicNaming topicNaming, int partitions, short replicationFactor,
                            String deadLetterTopic, boolean idempotence, int lingerMs,
                            Map<String, Object> clientProperties) {

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
        if (lingerMs < 0 || lingerMs > 5) {
            throw new IllegalArgumentException("lingerMs must be 0..5 for low latency, was " + lingerMs);
        }
    }

    /** Settings for a single local broker (the embedded one): 6 partitions, 1 replica, topics {@code ferry.<type>}. */
    public static KafkaSettings local(String bootstrapServers) {
        return new KafkaSettings(bootstrapServers, new TopicNaming("ferry."), 6, (short) 1, "ferry.dead-letter", true, 5,
            Map.of());
    }
}
