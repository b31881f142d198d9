package dev.ferry.kafka.subscription;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.kafka.publish.KafkaSettings;

/**
 * A Kafka consumer group as the engine's {@link PartitionedSubscription}: the group's assignment is the ownership,
 * committed offsets are the acknowledgements. Cooperative-sticky assignment moves only what must move; a short
 * session timeout moves a dead instance's partitions in seconds.
 */
public final class KafkaPartitionSubscription implements PartitionedSubscription {

    private static final Logger log = LoggerFactory.getLogger(KafkaPartitionSubscription.class);

    private final KafkaSettings kafka;
    private final String groupId;
    private final String clientId;
    private final Duration sessionTimeout;
    /** Created by {@link #open}, on the polling thread: a subscription never opened holds no connection. */
    private volatile KafkaConsumer<String, byte[]> consumer;

    /**
     * @param groupId        the consumer group: {@link #groupId(String)} of the projection or replicator
     * @param sessionTimeout how soon the group notices a dead instance and moves its partitions (classic protocol)
     */
    public KafkaPartitionSubscription(KafkaSettings kafka, String groupId, String clientId, Duration sessionTimeout) {
        this.kafka = kafka;
        this.groupId = groupId;
        this.clientId = clientId;
        this.sessionTimeout = sessionTimeout;
    }

    /**
     * The consumer group of a projection or replicator, {@code ferry-projection-<name>}: its committed offsets live
     * under this name, so it never changes (renaming it would start the group over). The one definition.
     */
    public static String groupId(String name) {
        return "ferry-projection-" + name;
    }

    private Map<String, Object> consumerConfig() {
        Map<String, Object> config = new HashMap<>(kafka.clientProperties());
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        // Classic protocol: cooperative-sticky moves only what must move. (KIP-848's timeout is set on the broker.)
        config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        config.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) sessionTimeout.toMillis());
        config.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) Math.max(500, sessionTimeout.toMillis() / 4));
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        return config;
    }

    @Override
    public void open(Set<String> aggregateTypes, Ownership ownership) {
        List<String> topics = aggregateTypes.stream().map(kafka.topicNaming()::topicFor).sorted().toList();
        consumer = new KafkaConsumer<>(consumerConfig(), new StringDeserializer(), new ByteArrayDeserializer());
        consumer.subscribe(topics, new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                ownership.revoked(ids(partitions));
            }

            @Override
            public void onPartitionsLost(Collection<TopicPartition> partitions) {
                ownership.lost(ids(partitions));
            }

            @Override
            public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                ownership.gained(ids(partitions));
            }
        });
    }

    @Override
    public List<SubscribedRecord> poll(Duration timeout) {
        try {
            ConsumerRecords<String, byte[]> polled = consumer.poll(timeout);
            if (polled.isEmpty()) {
                return List.of();
            }
            List<SubscribedRecord> records = new ArrayList<>(polled.count());
            TopicNaming naming = kafka.topicNaming();
            // Partition by partition: its id and type are made once per poll, not once per record.
            for (TopicPartition partition : polled.partitions()) {
                PartitionId id = new PartitionId(partition.topic(), partition.partition());
                String type = partition.topic().substring(naming.prefix().length());
                for (ConsumerRecord<String, byte[]> record : polled.records(partition)) {
                    records.add(new SubscribedRecord(id, record.offset(), type, record.key(), record.value()));
                }
            }
            return records;
        } catch (WakeupException woken) {
            return List.of(); // the wake-up is used up, so a final commit still goes through
        }
    }

    @Override
    public Set<PartitionId> owned() {
        return ids(consumer.assignment());
    }

    @Override
    public void pause(Collection<PartitionId> partitions) {
        consumer.pause(topicPartitions(partitions));
    }

    @Override
    public void resume(Collection<PartitionId> partitions) {
        consumer.resume(topicPartitions(partitions));
    }

    @Override
    public boolean acknowledge(Map<PartitionId, Long> next) {
        Map<TopicPartition, OffsetAndMetadata> commits = new HashMap<>();
        next.forEach((partition, offset) -> commits.put(topicPartition(partition), new OffsetAndMetadata(offset)));
        for (int attempt = 1; ; attempt++) {
            try {
                consumer.commitSync(commits);
                return true;
            } catch (WakeupException woken) {
                if (attempt > 1) {
                    return false;
                }
                // woken for a stop while committing: the wake-up is used up; commit once more
            } catch (RebalanceInProgressException | CommitFailedException | RetriableException e) {
                log.debug("group {}: commit deferred: {}", groupId, e.toString());
                return false;
            }
        }
    }

    @Override
    public long lag() {
        return consumer.assignment().stream().mapToLong(p -> consumer.currentLag(p).orElse(0)).sum();
    }

    @Override
    public void wakeup() {
        KafkaConsumer<String, byte[]> current = consumer;
        if (current != null) {
            current.wakeup();
        }
    }

    @Override
    public void close() {
        if (consumer != null) {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(30)));
        }
    }

    /** Stays in the group, as a crashed process would: the partitions move only after the session timeout. */
    @Override
    public void abandon() {
        if (consumer == null) {
            return;
        }
        consumer.close(CloseOptions.groupMembershipOperation(CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP)
            .withTimeout(Duration.ZERO));
    }

    private static Set<PartitionId> ids(Collection<TopicPartition> partitions) {
        return partitions.stream().map(p -> new PartitionId(p.topic(), p.partition())).collect(Collectors.toSet());
    }

    private static TopicPartition topicPartition(PartitionId partition) {
        return new TopicPartition(partition.topic(), partition.number());
    }

    private static List<TopicPartition> topicPartitions(Collection<PartitionId> partitions) {
        return partitions.stream().map(KafkaPartitionSubscription::topicPartition).toList();
    }
}
