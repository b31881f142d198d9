package dev.ferry.spring.boot.internals;

import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import dev.ferry.config.ConfigError;
import dev.ferry.config.FerryConfig;
import dev.ferry.spring.boot.FerryProperties;

/**
 * Ferry's properties as the CLI's configuration records read them: the same defaults and the same checks, in one
 * place ({@link FerryConfig}); a mistake is one line naming the {@code ferry.*} key.
 */
public final class CheckedSettings {

    private CheckedSettings() {
    }

    public static FerryConfig.Kafka kafka(FerryProperties.Kafka kafka) {
        return checked("ferry.kafka.", () -> new FerryConfig.Kafka(kafka.bootstrapServers(), kafka.topicPrefix(),
            kafka.partitions(), kafka.replicationFactor(), kafka.deadLetterTopic(), kafka.idempotence(),
            kafka.compression(), kafka.lingerMs(), kafka.properties()));
    }

    public static FerryConfig.Nats nats(FerryProperties.Nats nats) {
        return checked("ferry.nats.", () -> new FerryConfig.Nats(nats.servers(), nats.credentialsFile(), nats.tls(),
            nats.stream(), nats.partitions(), nats.replicas(), nats.maxAge(), nats.dedupeWindow(), nats.maxAckPending(),
            nats.ackWait()));
    }

    public static FerryConfig.Relay relay(FerryProperties.Relay relay) {
        return checked("ferry.relay.", () -> new FerryConfig.Relay(relay.name(), relay.start(), relay.historyLost(),
            relay.leaseTtl(), relay.idleCheckpointInterval()));
    }

    public static FerryConfig.Projector projector(FerryProperties.Projector projector) {
        return checked("ferry.projector.", () -> new FerryConfig.Projector(null, List.of(), projector.lanes(),
            projector.applyLog(), null));
    }

    public static Duration stallTimeout(FerryProperties properties) {
        return checked("ferry.", () -> new FerryConfig.Admin(null, null, null, properties.stallTimeout()))
            .stallTimeoutDuration();
    }

    private static <T> T checked(String prefix, Supplier<T> record) {
        try {
            return record.get();
        } catch (ConfigError e) {
            throw new ConfigError(prefix + e.getMessage());
        }
    }
}
