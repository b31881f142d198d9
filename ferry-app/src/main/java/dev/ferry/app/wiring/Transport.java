package dev.ferry.app.wiring;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

import dev.ferry.config.FerryConfig;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.RecordPublisher;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.nats.NatsSettings;

/**
 * How events travel between the relay and the projectors: the one place that differs between Kafka and NATS
 * JetStream. Everything else (the relay, the engine, the stores) is the same on both.
 */
public sealed interface Transport permits KafkaTransport, NatsTransport {

    /** The relay's publishers, one per leadership term; closed after the relay. */
    interface Publishers extends Supplier<RecordPublisher>, AutoCloseable {

        @Override
        void close();
    }

    /** {@code kafka} or {@code nats}, for logs and reports. */
    String name();

    /** Checks aggregate types where records are appended (a type becomes part of a topic or subject name). */
    TopicNaming topicNaming();

    /** Publishers for a relay, with what a relay needs before its first term (e.g. the dead-letter topic). */
    Publishers relayPublishers();

    /** Creates what the projector reads, if missing, so a projector may start before any relay. */
    void prepareFor(Set<String> aggregateTypes);

    /** Makes sure the topics of {@code entities} exist, as the relay creates them (Kafka: compacted). */
    void prepareForEntities(Set<String> entities);

    /**
     * A projector instance's subscription to the partitions of {@code group}'s aggregate types.
     *
     * @param leases partition leases, for transports without consumer groups of their own
     */
    PartitionedSubscription subscription(String group, String instanceId, LeaseStore leases,
                                         java.time.Duration sessionTimeout);

    /** @return null if the transport answers within {@code timeout}, else which servers did not and why */
    Unanswered problem(java.time.Duration timeout);

    /** The transport a configuration names, with its settings. */
    static Transport of(FerryConfig config) {
        if (config.transport() == FerryConfig.Transport.NATS) {
            FerryConfig.Nats nats = config.nats();
            return new NatsTransport(new NatsSettings(List.of(nats.servers().split(",")),
                Optional.of(nats.credentialsFile()).filter(file -> !file.isBlank()), nats.tls(), nats.stream(),
                nats.partitions(), nats.replicas(), nats.maxAgeDuration(), nats.dedupeWindowDuration(),
                NatsSettings.DEFAULT_MAX_OUTSTANDING, nats.maxAckPending(), nats.ackWaitDuration()));
        }
        FerryConfig.Kafka kafka = config.kafka();
        return new KafkaTransport(new KafkaSettings(kafka.bootstrapServers(), new TopicNaming(kafka.topicPrefix()),
            kafka.partitions(), kafka.replicationFactor().shortValue(), kafka.deadLetterTopic(), kafka.idempotence(),
            kafka.lingerMs(), kafka.compression(), kafka.properties()));
    }

    /** The first line of what went wrong, for one-line start-up errors. */
    static String firstLine(Throwable e) {
        Throwable cause = e.getCause() != null && e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
