package dev.ferry.benchmark.raw;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;

import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.SubjectNaming;
import dev.ferry.nats.publish.StreamProvisioner;

/**
 * A plain JetStream client on a stream of its own, made as Ferry's is ({@link StreamProvisioner}: file storage, the
 * same subjects and partitions): asynchronous publishes with acknowledgement and at most the relay's number
 * outstanding, then one durable pull consumer fetching batches of the projector's size and acknowledging each batch
 * with one acknowledgement (policy {@code all}, as Ferry's consumers do). None of Ferry's message ids, expected-last
 * checks, leases or per-partition consumers: the ceiling for Ferry's pipeline on NATS.
 */
final class RawJetStream implements AutoCloseable {

    /** The projector's consumers fetch at most this many messages at once (ferry-nats' PartitionConsumer). */
    static final int FETCH_BATCH = Math.min(500, NatsSettings.DEFAULT_MAX_ACK_PENDING);
    private static final String DURABLE = "raw";
    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);

    private final NatsSettings settings;
    private final Connection connection;
    private final JetStream jetStream;
    private final JetStreamSubscription consumer;

    /** Creates the stream and its consumer: connected and subscribed before any window opens, like Ferry's processes. */
    RawJetStream(String servers, int partitions) throws IOException, JetStreamApiException {
        settings = new NatsSettings(List.of(servers.split(",")), java.util.Optional.empty(), false,
            "raw_" + UUID.randomUUID().toString().replace("-", ""), partitions, 1, NatsSettings.DEFAULT_MAX_AGE,
            NatsSettings.DEFAULT_DEDUPE_WINDOW, NatsSettings.DEFAULT_MAX_OUTSTANDING, NatsSettings.DEFAULT_MAX_ACK_PENDING,
            NatsSettings.DEFAULT_ACK_WAIT);
        connection = NatsConnections.open(settings, "ferry-raw-jetstream");
        try {
            StreamProvisioner.ensure(connection, settings);
            jetStream = connection.jetStream();
            connection.jetStreamManagement().addOrUpdateConsumer(settings.stream(), ConsumerConfiguration.builder()
                .durable(DURABLE).ackPolicy(AckPolicy.All).maxAckPending(settings.maxAckPending()).build());
            consumer = jetStream.subscribe(null, PullSubscribeOptions.bind(settings.stream(), DURABLE));
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** Publishes {@code events} messages of {@code value}, spread over the partitions by key; returns once all are acknowledged. */
    long publish(int events, byte[] value) throws InterruptedException {
        SubjectNaming subjects = settings.subjects();
        Semaphore outstanding = new Semaphore(settings.maxOutstanding());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int i = 0; i < events && failure.get() == null; i++) {
            acquire(outstanding, 1);
            jetStream.publishAsync(subjects.subjectForKey("raw", RawDocuments.key(i)), value).whenComplete((ack, error) -> {
                if (error != null) {
                    failure.compareAndSet(null, error);
                }
                outstanding.release();
            });
        }
        acquire(outstanding, settings.maxOutstanding());
        if (failure.get() != null) {
            throw new IllegalStateException("a raw JetStream publish failed: " + failure.get().getMessage(), failure.get());
        }
        return events;
    }

    /** Fetches until {@code events} messages arrived, acknowledging each batch by its last message. */
    long consume(int events) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        long consumed = 0;
        while (consumed < events) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the raw JetStream consumer got " + consumed + " of " + events
                    + " messages within 10 minutes");
            }
            List<Message> batch = consumer.fetch(FETCH_BATCH, Duration.ofMillis(100));
            if (!batch.isEmpty()) {
                batch.get(batch.size() - 1).ack();
                consumed += batch.size();
            }
        }
        return consumed;
    }

    private static void acquire(Semaphore outstanding, int permits) throws InterruptedException {
        if (!outstanding.tryAcquire(permits, PUBLISH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("raw JetStream publishes unacknowledged for " + PUBLISH_TIMEOUT.toSeconds() + " s");
        }
    }

    /** Deletes the stream (it may hold hundreds of megabytes) and closes the connection. */
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
