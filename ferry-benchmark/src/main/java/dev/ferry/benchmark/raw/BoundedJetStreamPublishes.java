package dev.ferry.benchmark.raw;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.nats.client.JetStream;

import dev.ferry.nats.NatsSettings;

/**
 * The raw baselines' asynchronous JetStream publishes, bounded as the relay bounds its own (at most
 * {@link NatsSettings#maxOutstanding()} unacknowledged), the first refusal kept and thrown at the next call.
 */
final class BoundedJetStreamPublishes {

    private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(30);

    private final JetStream jetStream;
    private final int maxOutstanding;
    private final Semaphore outstanding;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();

    BoundedJetStreamPublishes(JetStream jetStream, int maxOutstanding) {
        this.jetStream = jetStream;
        this.maxOutstanding = maxOutstanding;
        this.outstanding = new Semaphore(maxOutstanding);
    }

    /** The settings of a raw baseline's own stream (a fresh name per run), otherwise Ferry's defaults. */
    static NatsSettings settings(String servers, String streamPrefix, int partitions) {
        return new NatsSettings(List.of(servers.split(",")), Optional.empty(), false,
            streamPrefix + UUID.randomUUID().toString().replace("-", ""), partitions, 1, NatsSettings.DEFAULT_MAX_AGE,
            NatsSettings.DEFAULT_DEDUPE_WINDOW, NatsSettings.DEFAULT_MAX_OUTSTANDING, NatsSettings.DEFAULT_MAX_ACK_PENDING,
            NatsSettings.DEFAULT_ACK_WAIT);
    }

    /** Publishes asynchronously; waits while the most are outstanding. */
    void publish(String subject, byte[] value) throws InterruptedException {
        failIfRefused();
        acquire(1);
        jetStream.publishAsync(subject, value).whenComplete((ack, error) -> {
            if (error != null) {
                failure.compareAndSet(null, error);
            }
            outstanding.release();
        });
    }

    /** Waits until every publish is acknowledged; fails if one was refused. */
    void awaitAll() throws InterruptedException {
        acquire(maxOutstanding);
        outstanding.release(maxOutstanding);
        failIfRefused();
    }

    private void acquire(int permits) throws InterruptedException {
        if (!outstanding.tryAcquire(permits, PUBLISH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("raw JetStream publishes unacknowledged for " + PUBLISH_TIMEOUT.toSeconds() + " s");
        }
    }

    private void failIfRefused() {
        if (failure.get() != null) {
            throw new IllegalStateException("a raw JetStream publish failed: " + failure.get().getMessage(), failure.get());
        }
    }
}
