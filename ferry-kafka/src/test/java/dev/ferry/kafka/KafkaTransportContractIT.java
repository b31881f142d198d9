package dev.ferry.kafka;

import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.subscription.PartitionedSubscription;
import dev.ferry.core.subscription.contract.TransportContract;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.kafka.publish.KafkaSettings;

/**
 * Kafka passes the transport contract: the relay's publishers and the projectors' consumer group, on an embedded
 * KRaft broker. A crashed instance stays in the group until its session times out (the broker's minimum, 6 s).
 */
class KafkaTransportContractIT extends TransportContract {

    private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);
    private static EmbeddedKafka kafka;
    private static KafkaSettings settings;
    private static KafkaTransport transport;
    private static Transport.Publishers publishers;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafka.start();
        settings = KafkaSettings.local(kafka.bootstrapServers());
        // through the Transport port, as the relay and the engine reach the transport
        transport = new KafkaTransport(settings);
        publishers = transport.relayPublishers();
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
        return transport.subscription(group, instance, null, SESSION_TIMEOUT); // consumer groups need no leases
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
        transport.prepareFor(Set.of(type));
    }
}
