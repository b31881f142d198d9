package dev.ferry.spring.boot.internals;

import java.util.Optional;

import dev.ferry.config.FerryConfig;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.transport.Transport;
import dev.ferry.kafka.KafkaTransport;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.NatsTransport;
import dev.ferry.spring.boot.FerryProperties;

/**
 * The configured transport, built from its checked settings as the CLI builds it (ferry-app's {@code Transports}:
 * the two composition roots map the same records to the same settings).
 */
public final class BootTransports {

    private BootTransports() {
    }

    public static Transport of(FerryProperties properties) {
        return switch (properties.transport()) {
            case KAFKA -> kafka(CheckedSettings.kafka(properties.kafka()));
            case NATS -> nats(CheckedSettings.nats(properties.nats()));
        };
    }

    private static Transport kafka(FerryConfig.Kafka kafka) {
        return new KafkaTransport(new KafkaSettings(kafka.bootstrapServers(), new TopicNaming(kafka.topicPrefix()),
            kafka.partitions(), kafka.replicationFactor().shortValue(), kafka.deadLetterTopic(), kafka.idempotence(),
            kafka.lingerMs(), kafka.compression(), kafka.properties()));
    }

    private static Transport nats(FerryConfig.Nats nats) {
        return new NatsTransport(new NatsSettings(nats.serverList(),
            Optional.of(nats.credentialsFile()).filter(file -> !file.isBlank()), nats.tls(), nats.stream(),
            nats.partitions(), nats.replicas(), nats.maxAgeDuration(), nats.dedupeWindowDuration(),
            NatsSettings.DEFAULT_MAX_OUTSTANDING, nats.maxAckPending(), nats.ackWaitDuration()));
    }
}
