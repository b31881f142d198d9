package dev.ferry.benchmark.raw;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.nats.client.ConsumeOptions;
import io.nats.client.Connection;
import io.nats.client.IterableConsumer;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamStatusCheckedException;
import io.nats.client.Message;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;

import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.publish.StreamProvisioner;

/**
 * A plain JetStream client on a stream of its own, made as Ferry's is ({@link StreamProvisioner}: file storage, the
 * same subjects and partitions): asynchronous publishes with acknowledgement and at most the relay's number
 * outstanding, and one durable pull consumer pulling batches of the projector's size (as Ferry's consumers do, a
 * continuous pull) and acknowledging every {@value #ACK_EVERY}th message (policy {@code all}: one acknowledgement
 * covers the prefix, as Ferry's do). None of Ferry's message ids, expected-last checks, leases or per-partition
 * consumers: the ceiling for Ferry's pipeline on NATS.
 */
final class RawJetStream implements AutoCloseable {

    /** The projector's consumers fetch at most this many messages at once (ferry-nats' PartitionConsumer). */
    static final int FETCH_BATCH = Math.min(500, NatsSettings.DEFAULT_MAX_ACK_PENDING);
    static final int ACK_EVERY = 100;
    private static final String DURABLE = "raw";
    private final NatsSettings settings;
    private final Connection connection;
    private final JetStream jetStream;
    private final BoundedJetStreamPublishes publishes;
    private final IterableConsumer consumer;
    private long consumed;
    private Message last;

    /** Creates the stream and its consumer: connected and subscribed before any window opens, like Ferry's processes. */
    RawJetStream(String servers, int partitions) throws IOException, JetStreamApiException {
        settings = BoundedJetStreamPublishes.settings(servers, "raw_", partitions);
        connection = NatsConnections.open(settings, "ferry-raw-jetstream");
        try {
            StreamProvisioner.ensure(connection, settings);
            jetStream = connection.jetStream();
            publishes = new BoundedJetStreamPublishes(jetStream, settings.maxOutstanding());
            connection.jetStreamManagement().addOrUpdateConsumer(settings.stream(), ConsumerConfiguration.builder()
                .durable(DURABLE).ackPolicy(AckPolicy.All).maxAckPending(settings.maxAckPending()).build());
            consumer = jetStream.getConsumerContext(settings.stream(), DURABLE)
                .iterate(ConsumeOptions.builder().batchSize(FETCH_BATCH).build());
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Publishes {@code events} messages of {@code value}, spread over the partitions by key; returns once all are acknowledged. */
    long publishAll(int events, byte[] value) throws InterruptedException {
        for (int i = 0; i < events; i++) {
            publish(i, value);
        }
        awaitPublished();
        return events;
    }

    /** Publishes one message with key number {@code i} asynchronously; waits while the most are outstanding. */
    void publish(int i, byte[] value) throws InterruptedException {
        publishes.publish(settings.subjects().subjectForKey("raw", RawDocuments.key(i)), value);
    }

    /** Waits until every publish is acknowledged; fails if one was refused. */
    void awaitPublished() throws InterruptedException {
        publishes.awaitAll();
    }

    /** Consumes until {@code events} messages arrived. */
    long consume(int events) throws InterruptedException, JetStreamStatusCheckedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        long received = 0;
        while (received < events) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the raw JetStream consumer got " + received + " of " + events
                    + " messages within 10 minutes");
            }
            if (next(Duration.ofMillis(100)) != null) {
                received++;
            }
        }
        flushAck();
        return received;
    }

    /**
     * The next message, or null if none came within {@code wait}; every {@value #ACK_EVERY}th is acknowledged, and
     * with it all before it.
     */
    Message next(Duration wait) throws InterruptedException, JetStreamStatusCheckedException {
        Message message = consumer.nextMessage(wait);
        if (message != null) {
            last = message;
            if (++consumed % ACK_EVERY == 0) {
                message.ack();
            }
        }
        return message;
    }

    /** Acknowledges what was consumed since the last acknowledgement. */
    void flushAck() {
        if (last != null && consumed % ACK_EVERY != 0) {
            last.ack();
        }
    }

    /** Deletes the stream (it may hold hundreds of megabytes) and closes the connection. */
    @Override
    public void close() {
        if (consumer != null) {
            consumer.stop();
        }
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
