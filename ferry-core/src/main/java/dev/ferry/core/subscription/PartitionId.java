package dev.ferry.core.subscription;

import java.util.Objects;

/**
 * One partition of a transport: a topic (Kafka) or a stream's subject group (NATS), and its number. Printed as
 * {@code topic-number}, the form Kafka's tools use, so operators see the same name everywhere.
 */
public record PartitionId(String topic, int number) {

    public PartitionId {
        Objects.requireNonNull(topic, "topic");
        if (number < 0) {
            throw new IllegalArgumentException("partition number must not be negative, was " + number);
        }
    }

    @Override
    public String toString() {
        return topic + "-" + number;
    }
}
