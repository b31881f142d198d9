package dev.ferry.kafka;

import java.time.Duration;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.contract.TransportContract;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.kafka.subscription.KafkaPartitionSubscription;

/**
 * Kafka passes the transport contract: the relay's publishers and the projectors' consumer group, on an embedded
 * KRaft broker. A crashed instance stays in the group until its session times out (the broker's minimum, 6 s).
 */
class KafkaTransportContractIT extends TransportContract {

    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);
    private static EmbeddedKafka kafka;
    private static KafkaSettings settings;
    private static KafkaPublishers publishers;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        settings = KafkaSettings.local(kafka.bootstrapServers());
        publishers = new KafkaPublishers(settings);
    }

    @AfterAll
    static void stop() {
        publishers.close();
        kafka.close();
    }

    @Override
    protected RecordPublisher publisher() {
        return publishers.get();
    }

    @Override
    protected PartitionedSubscription subscription(String group, String instance) {
        return new KafkaPartitionSubscription(settings, group, group + "-" + instance, SESSION_TIMEOUT);
    }

    @Override
    protected void crash(PartitionedSubscription subscription) {
        subscription.abandon();
    }

    @Override
    protected int partitions() {
        return settings.partitions();
    }

    @Override
    protected String sizeLimit() {
        return "max.request.size";
    }

    @Override
    protected void provision(String type) {
        publishers.ensureTopic(settings.topicNaming().topicFor(type));
    }
}
