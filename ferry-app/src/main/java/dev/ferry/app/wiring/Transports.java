package dev.ferry.app.wiring;

import java.util.List;
import java.util.Optional;

import dev.ferry.config.FerryConfig;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.transport.Transport;
import dev.ferry.kafka.KafkaTransport;
import dev.ferry.kafka.publish.ExactlyOnce;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.NatsTransport;

/**
 * The one place that maps the configured transport to its implementation, built from its configuration section.
 * A new transport adds a case here (the switch is exhaustive, so the compiler asks for it); nothing else in the
 * application, the engine or the core knows which transports there are.
 */
public final class Transports {

    private Transports() {
    }

    /** The transport a configuration names, with its settings. */
    public static Transport of(FerryConfig config) {
        return switch (config.transport()) {
            case KAFKA -> kafka(config.kafka(), config.relay().name());
            case NATS -> nats(config.nats());
        };
    }

    private static Transport kafka(FerryConfig.Kafka kafka, String relayName) {
        return new KafkaTransport(new KafkaSettings(kafka.bootstrapServers(), new TopicNaming(kafka.topicPrefix()),
            kafka.partitions(), kafka.replicationFactor().shortValue(), kafka.deadLetterTopic(), kafka.idempotence(),
            kafka.lingerMs(), kafka.compression(), kafka.properties()),
            kafka.exactlyOnce() ? ExactlyOnce.forRelay(relayName, kafka.topicPrefix()) : null);
    }

    private static Transport nats(FerryConfig.Nats nats) {
        return new NatsTransport(new NatsSettings(List.of(nats.servers().split(",")),
            Optional.of(nats.credentialsFile()).filter(file -> !file.isBlank()), nats.tls(), nats.stream(),
            nats.partitions(), nats.replicas(), nats.maxAgeDuration(), nats.dedupeWindowDuration(),
            NatsSettings.DEFAULT_MAX_OUTSTANDING, nats.maxAckPending(), nats.ackWaitDuration()));
    }
}
