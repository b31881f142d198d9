package dev.ferry.nats.subscription;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.publish.NatsPublishers;

/**
 * A partition's new owner whose start failed after it had made its consumer (and deleted its predecessor's) — a
 * broker restart mid-way — starts again with that consumer, from where the predecessor stopped. It was refused for
 * good ("deliver policy can not be updated", 10012) when it asked for the consumer anew: the partition was owned and
 * never consumed.
 */
@Timeout(60)
class PartitionConsumerRestartsItsTermIT {

    private static NatsServerProcess server;

    @BeforeAll
    static void start() {
        server = NatsServerProcess.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    @Test
    void aTermWhoseFirstStartFailedMidWayStartsAgainFromItsPredecessorsFloor() throws Exception {
        NatsSettings settings = NatsSettings.local(server.url(), "r" + System.nanoTime());
        new NatsPublishers(settings).ensureStream();
        PartitionId partition = new PartitionId("patient", 0);
        String subject = settings.subjects().subject("patient", 0);
        BlockingQueue<PartitionConsumer.Delivery> deliveries = new LinkedBlockingQueue<>();
        try (Connection connection = NatsConnections.open(settings, "test")) {
            JetStream js = connection.jetStream();
            for (int i = 1; i <= 10; i++) {
                js.publish(subject, ("m" + i).getBytes(UTF_8));
            }
            // epoch 1 consumes and acknowledges the first 4
            PartitionConsumer first = PartitionConsumer.start(connection, settings, "g", subject, partition, 1,
                deliveries);
            for (int i = 1; i <= 4; i++) {
                PartitionConsumer.Delivery delivery = deliveries.poll(10, TimeUnit.SECONDS);
                assertThat(delivery).isNotNull();
                if (i == 4) {
                    delivery.message().ackSync(Duration.ofSeconds(5));
                }
            }
            first.stop();
            deliveries.clear();

            // epoch 2's first start made its consumer from sequence 5 and deleted epoch 1's, then failed before it
            // consumed anything (as PartitionConsumer.start makes it)
            JetStreamManagement management = connection.jetStreamManagement();
            String base = PartitionConsumer.consumerBase("g", partition);
            management.addOrUpdateConsumer(settings.stream(), ConsumerConfiguration.builder().durable(base + 2)
                .filterSubject(subject).ackPolicy(AckPolicy.All).ackWait(settings.ackWait())
                .maxAckPending(settings.maxAckPending()).deliverPolicy(DeliverPolicy.ByStartSequence).startSequence(5)
                .build());
            management.deleteConsumer(settings.stream(), base + 1);

            PartitionConsumer again = PartitionConsumer.start(connection, settings, "g", subject, partition, 2,
                deliveries);
            try {
                assertThat(again.floor()).isEqualTo(4);
                PartitionConsumer.Delivery next = deliveries.poll(10, TimeUnit.SECONDS);
                assertThat(next).isNotNull();
                assertThat(next.message().metaData().streamSequence()).isEqualTo(5);
            } finally {
                again.stop();
            }
        }
    }
}
