package dev.ferry.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;

import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.transport.Transport;
import dev.ferry.core.transport.Unanswered;
import dev.ferry.kafka.publish.ExactlyOnce;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.kafka.publish.TopicProvisioner;
import dev.ferry.kafka.subscription.KafkaPartitionSubscription;

/**
 * Kafka (or Event Hubs): a topic per aggregate type, a consumer group per projection.
 *
 * @param exactlyOnce the relay's exactly-once mode, or null (the default: at least once, duplicates after failovers
 *                    absorbed by the consumers' version checks)
 */
public record KafkaTransport(KafkaSettings settings, ExactlyOnce exactlyOnce) implements Transport {

    public KafkaTransport(KafkaSettings settings) {
        this(settings, null);
    }

    /** The client id of the reachability check's admin client (log4j2.xml filters its connection warnings). */
    static final String REACHABILITY_CLIENT_ID = "ferry-reachability";

    /** The consumer group of a projection or replicator ({@link KafkaPartitionSubscription#groupId}). */
    public static String groupId(String group) {
        return KafkaPartitionSubscription.groupId(group);
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public TopicNaming topicNaming() {
        return settings.topicNaming();
    }

    @Override
    public Publishers relayPublishers() {
        // Ensures the dead-letter topic (and, in exactly-once mode, the positions topic).
        KafkaPublishers publishers = KafkaPublishers.keepingOneReady(settings, exactlyOnce);
        return new Publishers() {
            @Override
            public RecordPublisher get() {
                return publishers.get();
            }

            @Override
            public void close() {
                publishers.close();
            }
        };
    }

    @Override
    public void prepareFor(Set<String> aggregateTypes) {
        try (TopicProvisioner topics = new TopicProvisioner(settings)) {
            aggregateTypes.stream().map(settings.topicNaming()::topicFor).sorted().forEach(topics::ensure);
        }
    }

    @Override
    public void prepareForEntities(Set<String> entities) {
        try (TopicProvisioner topics = new TopicProvisioner(settings)) {
            entities.stream().map(settings.topicNaming()::topicFor).sorted().forEach(topics::ensureCompacted);
        }
    }

    @Override
    public PartitionedSubscription subscription(String group, String instanceId, LeaseStore leases,
                                                Duration sessionTimeout) {
        return new KafkaPartitionSubscription(settings, groupId(group), group + "-" + instanceId, sessionTimeout);
    }

    @Override
    public Unanswered problem(Duration timeout) {
        int millis = (int) timeout.toMillis();
        Map<String, Object> properties = new HashMap<>(settings.clientProperties());
        properties.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        // Named so that the logging configuration can quiet its connection warnings: the caller reports the outcome.
        properties.put(AdminClientConfig.CLIENT_ID_CONFIG, REACHABILITY_CLIENT_ID);
        properties.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        properties.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        try (Admin admin = Admin.create(properties)) {
            admin.describeCluster(new DescribeClusterOptions().timeoutMs(millis)).nodes()
                .get(millis + 1000L, TimeUnit.MILLISECONDS);
            return null;
        } catch (Exception e) {
            return Unanswered.of("Kafka at " + settings.bootstrapServers(), e);
        }
    }
}
