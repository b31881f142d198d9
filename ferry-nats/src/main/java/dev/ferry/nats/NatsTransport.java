package dev.ferry.nats;

import java.time.Duration;
import java.util.Set;

import io.nats.client.Connection;

import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.transport.Transport;
import dev.ferry.core.transport.Unanswered;
import dev.ferry.nats.publish.NatsPublishers;
import dev.ferry.nats.subscription.NatsPartitionSubscription;

/**
 * NATS JetStream: one stream, subjects {@code <stream>.<type>.<partition>}, partitions owned by projector instances
 * through leases in Ferry's MongoDB database (next to the relay's).
 */
public record NatsTransport(NatsSettings settings) implements Transport {

    @Override
    public String name() {
        return "nats";
    }

    /**
     * No prefix: on NATS the type is a subject token of its own. The event store checks Kafka's characters; the
     * stricter subject rule ({@link SubjectNaming#checkType}) is checked when the configuration loads.
     */
    @Override
    public TopicNaming topicNaming() {
        return new TopicNaming("");
    }

    @Override
    public Publishers relayPublishers() {
        NatsPublishers publishers = new NatsPublishers(settings);
        return new Publishers() {
            @Override
            public RecordPublisher get() {
                return publishers.get();
            }

            @Override
            public void close() {
                // every term's publisher closes its own connection
            }
        };
    }

    @Override
    public void prepareFor(Set<String> aggregateTypes) {
        aggregateTypes.forEach(SubjectNaming::checkType);
        new NatsPublishers(settings).ensureStream();
    }

    @Override
    public void prepareForEntities(Set<String> entities) {
        prepareFor(entities); // one stream for every type; JetStream has no per-key compaction
    }

    @Override
    public PartitionedSubscription subscription(String group, String instanceId, LeaseStore leases,
                                                Duration sessionTimeout) {
        return new NatsPartitionSubscription(settings, leases, group, instanceId);
    }

    @Override
    public Unanswered problem(Duration timeout) {
        try (Connection connection = NatsConnections.probe(settings, timeout)) {
            connection.jetStreamManagement().getAccountStatistics();
            return null;
        } catch (Exception e) {
            return Unanswered.of("NATS JetStream at " + String.join(",", settings.servers()), e);
        }
    }
}
