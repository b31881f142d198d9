package dev.ferry.benchmark.raw;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.MessageConsumer;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;

import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.publish.StreamProvisioner;

/**
 * A plain JetStream client on a stream of its own, made as Ferry's is ({@link StreamProvisioner}: file storage, a
 * subject per partition, the id choosing the partition): asynchronous publishes with acknowledgement, at most the
 * relay's number outstanding, and a durable consumer per replica over the whole stream (one consumer delivers in
 * stream order, so one id's changes stay in order), pulling continuously in batches of Ferry's size and acknowledged
 * once per poll (policy {@code all}).
 */
final class RawJetStreamChannel implements RawChannel {

    private static final int POLL_MAX = RawBaselines.MAX_POLL_RECORDS;

    private final NatsSettings settings;
    private final Connection connection;
    private final JetStream jetStream;
    private final BoundedJetStreamPublishes publishes;

    RawJetStreamChannel(String servers, int partitions) throws IOException {
        settings = BoundedJetStreamPublishes.settings(servers, "rawrepl_", partitions);
        connection = NatsConnections.open(settings, "ferry-raw-replication");
        try {
            StreamProvisioner.ensure(connection, settings);
            jetStream = connection.jetStream();
            publishes = new BoundedJetStreamPublishes(jetStream, settings.maxOutstanding());
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void publish(String key, byte[] value) throws InterruptedException {
        publishes.publish(settings.subjects().subjectForKey("patient", key), value);
    }

    @Override
    public void flush() throws InterruptedException {
        publishes.awaitAll();
    }

    @Override
    public RawChannel.Consumer consumer(String group) throws IOException, JetStreamApiException {
        String durable = "raw_" + group.replaceAll("[^A-Za-z0-9_-]", "_");
        connection.jetStreamManagement().addOrUpdateConsumer(settings.stream(), ConsumerConfiguration.builder()
            .durable(durable).ackPolicy(AckPolicy.All).maxAckPending(settings.maxAckPending()).build());
        BlockingQueue<Message> arrived = new LinkedBlockingQueue<>();
        MessageConsumer consumer = jetStream.getConsumerContext(settings.stream(), durable)
            .consume(ConsumeOptions.builder().batchSize(Math.min(500, settings.maxAckPending())).build(), arrived::add);
        return new RawChannel.Consumer() {
            private Message last;

            @Override
            public List<RawChange> poll() throws InterruptedException {
                List<Message> messages = new ArrayList<>();
                Message first = arrived.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    return List.of();
                }
                messages.add(first);
                arrived.drainTo(messages, POLL_MAX - 1);
                List<RawChange> changes = new ArrayList<>(messages.size());
                for (Message message : messages) {
                    changes.add(RawChange.decode(message.getData()));
                    last = message;
                }
                return changes;
            }

            @Override
            public void acknowledge() {
                if (last != null) {
                    last.ack(); // policy all: acknowledges every earlier message too
                }
            }

            @Override
            public void close() {
                try {
                    consumer.stop();
                } catch (RuntimeException e) {
                    // the connection closes with the channel
                }
            }
        };
    }

    /** Deletes the stream and closes the connection. */
    @Override
    public void close() {
        try {
            connection.jetStreamManagement().deleteStream(settings.stream());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            // the server's temporary directory goes with it
        }
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
