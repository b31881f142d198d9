package dev.ferry.kafka.publish;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.relay.spi.RecordPublisher;

/**
 * Makes a Kafka publisher per leadership term. Producers are durable and ordered: acks=all, an idempotent
 * producer where the broker offers one (otherwise one request in flight per connection, so retries cannot
 * reorder) and retries for two minutes. While Kafka is down, sends wait and the relay stops reading (its
 * in-flight bound); a send that still fails aborts the producer, and the relay restarts from its checkpoint, so
 * what reaches a partition is always a prefix of what was sent, followed by a re-send from the checkpoint.
 * Correctness never depends on Kafka transactions, which Azure Event Hubs lacks; the opt-in {@link ExactlyOnce} mode
 * adds them, so that committed readers see no duplicates after failovers and retries either.
 */
public final class KafkaPublishers implements Supplier<RecordPublisher>, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KafkaPublishers.class);
    private static final int DELIVERY_TIMEOUT_MS = 120_000;
    /**
     * Bytes per partition batch. Kafka's default of 16 KB holds a single 10 KB event, so a backlog of large events
     * went out one record per partition per request, and the broker's per-request work set the pace.
     */
    public static final int BATCH_SIZE_BYTES = 256 * 1024;

    /**
     * A transaction left open by a crashed or frozen leader holds committed readers back until its successor's producer
     * aborts it, or until this timeout if none takes over; a term commits every checkpoint interval (100 ms), so this
     * leaves room for a slow broker while bounding that wait.
     */
    static final int TRANSACTION_TIMEOUT_MS = 15_000;

    private final KafkaSettings settings;
    /** Exactly-once mode, or null. */
    private final ExactlyOnce exactlyOnce;
    /** In that mode, the reader of the relay's committed positions, connected ahead; else null. */
    private final RelayPositions positions;
    private final TopicProvisioner topics;
    private volatile boolean idempotence;
    /** Makes the next term's producer ahead of time; null unless {@link #keepingOneReady}. */
    private final ExecutorService maker;
    /**
     * The next term's producer, being made or ready (kept while unfinished, so none is ever left unowned), and
     * whether it was made idempotent; guarded by {@code this}.
     */
    private CompletableFuture<Producer<String, byte[]>> ready;
    private boolean readyIdempotent;
    private boolean closed;
    /** Terms that found no producer ready and made their own (a figure for tests and troubleshooting). */
    private final AtomicInteger madeAtTakeover = new AtomicInteger();

    public KafkaPublishers(KafkaSettings settings) {
        this(settings, false, null);
    }

    /** Publishers in exactly-once mode (makes sure the positions topic exists). */
    public KafkaPublishers(KafkaSettings settings, ExactlyOnce exactlyOnce) {
        this(settings, false, java.util.Objects.requireNonNull(exactlyOnce, "exactlyOnce"));
    }

    private KafkaPublishers(KafkaSettings settings, boolean keepOneReady, ExactlyOnce exactlyOnce) {
        if (exactlyOnce != null && !settings.idempotence()) {
            throw new IllegalArgumentException("exactly-once publishing needs the idempotent producer (idempotence: "
                + "true): Kafka's transactions are built on it");
        }
        this.settings = settings;
        this.exactlyOnce = exactlyOnce;
        this.topics = new TopicProvisioner(settings);
        if (exactlyOnce != null) {
            topics.ensurePositions(exactlyOnce.positionsTopic());
        }
        this.positions = exactlyOnce == null ? null : new RelayPositions(settings, exactlyOnce.positionsTopic());
        this.idempotence = settings.idempotence();
        this.maker = keepOneReady ? Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "kafka-producer-ahead");
            thread.setDaemon(true);
            return thread;
        }) : null;
    }

    /**
     * Publishers for a relay, keeping the next term's producer made and connected ahead: a standby that takes over
     * then does not spend its first seconds as leader making one (on a cold JVM of two cores, loading the client's
     * classes, connecting and fetching metadata took seconds of the failover). A producer made ahead has sent nothing,
     * so it is as fresh as one made at the takeover.
     */
    public static KafkaPublishers keepingOneReady(KafkaSettings settings) {
        return keepingOneReady(settings, null);
    }

    /**
     * As {@link #keepingOneReady(KafkaSettings)}, in exactly-once mode unless {@code exactlyOnce} is null. A producer
     * made ahead only connects: its transactions are initialised when a term takes it, after the lease is won, since
     * initialising fences the producer of the leader in office.
     */
    public static KafkaPublishers keepingOneReady(KafkaSettings settings, ExactlyOnce exactlyOnce) {
        KafkaPublishers publishers = new KafkaPublishers(settings, true, exactlyOnce);
        if (publishers.positions != null) {
            publishers.maker.execute(() -> {
                try {
                    publishers.positions.connect(); // a take-over then reads its position without connecting first
                } catch (RuntimeException e) {
                    log.debug("the positions reader could not connect ahead: {}", e.toString());
                }
            });
        }
        publishers.ensureTopic(settings.deadLetterTopic()); // the topic the producer made ahead fetches metadata of
        publishers.makeNextAhead();
        return publishers;
    }

    @Override
    public RecordPublisher get() {
        Producer<String, byte[]> producer = takeReady();
        if (producer == null) {
            producer = newProducer();
            if (maker != null) {
                madeAtTakeover.incrementAndGet();
            }
        }
        if (maker != null) {
            makeNextAhead();
        }
        if (exactlyOnce != null) {
            try {
                // Fences every earlier producer of this transactional id (a deposed or frozen leader's) and aborts the
                // transaction it left open: from here on, only this term's commits make records visible.
                producer.initTransactions();
            } catch (RuntimeException e) {
                producer.close(Duration.ZERO);
                throw e;
            }
        }
        return new KafkaRecordPublisher(producer, topics, settings, this::idempotenceRefused, maxRecordBytes(),
            exactlyOnce, positions);
    }

    /** How many terms found no producer made ahead and made their own. */
    int producersMadeAtTakeover() {
        return madeAtTakeover.get();
    }

    /** Whether the next term's producer is made and waiting. */
    synchronized boolean hasProducerReady() {
        return ready != null && ready.isDone() && !ready.isCompletedExceptionally();
    }

    private KafkaProducer<String, byte[]> newProducer() {
        return new KafkaProducer<>(producerConfig(), new StringSerializer(), new ByteArraySerializer());
    }

    /**
     * The producer made ahead, if it is ready and made with today's settings; else null. One still being made (e.g.
     * while Kafka is unreachable, its metadata wait lasting up to {@code max.block.ms}) is not waited for — the term
     * makes its own, as it would without one ahead — and stays the next term's.
     */
    private synchronized Producer<String, byte[]> takeReady() {
        if (ready == null || !ready.isDone()) {
            return null;
        }
        CompletableFuture<Producer<String, byte[]>> taken = ready;
        ready = null;
        try {
            Producer<String, byte[]> producer = taken.join();
            if (readyIdempotent == idempotence) {
                return producer;
            }
            producer.close(Duration.ZERO); // made before the endpoint refused idempotence
        } catch (CompletionException | CancellationException e) {
            log.debug("the producer made ahead failed; making one now", e.getCause());
        }
        return null;
    }

    private synchronized void makeNextAhead() {
        if (ready != null || closed) {
            return;
        }
        readyIdempotent = idempotence;
        ready = CompletableFuture.supplyAsync(() -> {
            KafkaProducer<String, byte[]> producer = newProducer();
            try {
                producer.partitionsFor(settings.deadLetterTopic()); // connects and loads the metadata path
            } catch (RuntimeException e) {
                log.debug("the producer made ahead could not fetch metadata yet: {}", e.toString());
            }
            return producer;
        }, maker);
    }

    /** Makes sure a topic exists, e.g. the dead-letter topic at start-up. */
    public void ensureTopic(String topic) {
        topics.ensure(topic);
    }

    /** The largest record the relay's producer sends ({@code max.request.size}, Kafka's default if not set). */
    long maxRecordBytes() {
        Object configured = settings.clientProperties().get(ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        return configured == null ? 1_048_576L : Long.parseLong(configured.toString().trim());
    }

    /** The relay's producer settings (the benchmark's raw pipeline produces with the same). */
    public Map<String, Object> producerConfig() {
        Map<String, Object> config = new HashMap<>(settings.clientProperties());
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, settings.bootstrapServers());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, settings.lingerMs());
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, BATCH_SIZE_BYTES);
        config.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
        // A send that cannot be delivered within this fails; the relay then restarts from its checkpoint.
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, DELIVERY_TIMEOUT_MS);
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, idempotence);
        config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, idempotence ? 5 : 1);
        config.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, settings.compression());
        if (exactlyOnce != null) {
            config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, exactlyOnce.transactionalId());
            config.put(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, TRANSACTION_TIMEOUT_MS);
        }
        return config;
    }

    private void idempotenceRefused() {
        if (idempotence && exactlyOnce == null) { // exactly-once mode cannot do without it: its terms keep failing
            idempotence = false;
            log.warn("the Kafka endpoint refuses idempotent producers; Ferry continues with acks=all and one request "
                + "in flight per connection: order is kept, a retried send may be duplicated, and consumers' "
                + "version check absorbs duplicates");
        }
    }

    @Override
    public void close() {
        if (maker != null) {
            CompletableFuture<Producer<String, byte[]>> left;
            synchronized (this) {
                closed = true;
                left = ready;
                ready = null;
            }
            if (left != null) {
                // Closed now if made, or as soon as it is (a metadata wait is interrupted below).
                left.thenAccept(producer -> producer.close(Duration.ZERO));
            }
            maker.shutdownNow();
        }
        if (positions != null) {
            positions.close();
        }
        topics.close();
    }
}
