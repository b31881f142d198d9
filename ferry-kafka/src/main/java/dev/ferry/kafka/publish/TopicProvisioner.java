package dev.ferry.kafka.publish;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * Creates Ferry's topics explicitly with the Admin client, never relying on broker auto-creation (an idempotent
 * producer sending to a freshly auto-created topic can stall), once per topic per process.
 */
public final class TopicProvisioner implements AutoCloseable {

    private static final long CREATE_TIMEOUT_SECONDS = 30;

    private final Admin admin;
    private final int partitions;
    private final short replicationFactor;
    private final Set<String> known = ConcurrentHashMap.newKeySet();

    public TopicProvisioner(KafkaSettings settings) {
        Map<String, Object> config = new java.util.HashMap<>(settings.clientProperties());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        this.admin = Admin.create(config);
        this.partitions = settings.partitions();
        this.replicationFactor = settings.replicationFactor();
    }

    /** Makes sure the topic exists; cheap after the first call for a topic. */
    public void ensure(String topic) {
        if (known.contains(topic)) {
            return;
        }
        try {
            admin.createTopics(Set.of(new NewTopic(topic, partitions, replicationFactor))).all()
                .get(CREATE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
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

    @Override
    public void close() {
        admin.close();
    }
}
