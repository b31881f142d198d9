package dev.ferry.kafka.publish;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.RetriableException;

/**
 * Creates Ferry's topics explicitly with the Admin client, never relying on broker auto-creation (an idempotent
 * producer sending to a freshly auto-created topic can stall), once per topic per process.
 */
public final class TopicProvisioner implements AutoCloseable {

    private static final long CREATE_TIMEOUT_SECONDS = 30;
    private static final long LEADER_POLL_MILLIS = 50;

    private static final Map<String, String> COMPACTED = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG,
        TopicConfig.CLEANUP_POLICY_COMPACT);

    private final Admin admin;
    private final int partitions;
    private final short replicationFactor;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    public TopicProvisioner(KafkaSettings settings) {
        Map<String, Object> config = new HashMap<>(settings.clientProperties());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        this.admin = Admin.create(config);
        this.partitions = settings.partitions();
        this.replicationFactor = settings.replicationFactor();
    }

    /** Makes sure the topic exists; cheap after the first call for a topic. */
    public void ensure(String topic) {
        ensure(topic, Map.of());
    }

    /**
     * Makes sure an entity's topic exists, created compacted ({@code cleanup.policy=compact}): Kafka keeps each key's
     * latest record, and forgets a deleted key after its tombstone. A topic that already exists is left as it is.
     */
    public void ensureCompacted(String topic) {
        ensure(topic, COMPACTED);
    }

    /**
     * Makes sure the exactly-once mode's positions topic exists: one partition (a relay reads its last position from
     * the tail), compacted (Kafka keeps each relay's latest), segments rolled hourly so that compaction can bound what
     * a term start reads.
     */
    public void ensurePositions(String topic) {
        ensure(topic, 1, Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
            TopicConfig.SEGMENT_MS_CONFIG, Long.toString(TimeUnit.HOURS.toMillis(1))));
    }

    private void ensure(String topic, Map<String, String> configs) {
        ensure(topic, partitions, configs);
    }

    private void ensure(String topic, int partitions, Map<String, String> configs) {
        if (known.contains(topic)) {
            return;
        }
        try {
            admin.createTopics(Set.of(new NewTopic(topic, partitions, replicationFactor).configs(configs))).all()
                .get(CREATE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            awaitLeaders(topic, partitions);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("cannot create Kafka topic " + topic + ": " + e.getCause().getMessage(),
                    e.getCause());
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("cannot create Kafka topic " + topic + ": no answer from the brokers in "
                + CREATE_TIMEOUT_SECONDS + " s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating Kafka topic " + topic, e);
        }
        known.add(topic);
    }

    /**
     * Waits until every partition of a new topic has a leader. An idempotent producer whose first send to a new
     * partition meets NOT_LEADER_OR_FOLLOWER can go on to fail every retry with OUT_OF_ORDER_SEQUENCE_NUMBER
     * (a Kafka client bug reported fixed in 4.5), so Ferry never sends before the leaders exist.
     */
    private void awaitLeaders(String topic, int partitions) throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CREATE_TIMEOUT_SECONDS);
        while (true) {
            try {
                TopicDescription description = admin.describeTopics(Set.of(topic)).allTopicNames()
                    .get(CREATE_TIMEOUT_SECONDS, TimeUnit.SECONDS).get(topic);
                if (description != null && description.partitions().size() == partitions
                    && description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    // Metadata names a leader before that broker serves the partition; listing offsets asks the
                    // leader itself, so it succeeds only once produce requests will too.
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    description.partitions().forEach(p -> latest.put(new TopicPartition(topic, p.partition()),
                        OffsetSpec.latest()));
                    admin.listOffsets(latest).all().get(CREATE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
                    return;
                }
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof RetriableException)) {
                    throw e;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException("partitions of " + topic + " have no leader after " + CREATE_TIMEOUT_SECONDS + " s");
            }
            TimeUnit.MILLISECONDS.sleep(LEADER_POLL_MILLIS);
        }
    }

    @Override
    public void close() {
        admin.close();
    }
}
