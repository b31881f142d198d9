package dev.ferry.core.transport;

import java.time.Duration;
import java.util.Set;
import java.util.function.Supplier;

import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.subscription.PartitionedSubscription;

/**
 * How records travel between the relay and the projectors and replicators: the one thing that differs between Kafka,
 * NATS JetStream and any transport to come. Everything else (the relay, the engine, the stores) is the same on all.
 * Each transport's module implements it; the application picks one by the configuration.
 */
public interface Transport {

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
     * A projector or replicator instance's subscription to the partitions of {@code group}'s types.
     *
     * @param leases partition leases, for transports without consumer groups of their own
     */
    PartitionedSubscription subscription(String group, String instanceId, LeaseStore leases, Duration sessionTimeout);

    /** @return null if the transport answers within {@code timeout}, else which servers did not and why */
    Unanswered problem(Duration timeout);
}
