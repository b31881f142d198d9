package dev.ferry.benchmark.raw;

import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.RawBsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.benchmark.process.ProcessCpu;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.kafka.publish.TopicProvisioner;
import dev.ferry.mongodb.changestream.ChangeStreamTail;

/**
 * The baselines, run in a process of their own with the relay's JVM options ({@code ferry bench raw}): what plain
 * clients do on the same stack — a change-stream read, a Kafka produce-to-consume, a read-model bulk write, and all of
 * them chained as a raw pipeline that folds each key's records of a poll into one write as Ferry's projector does, with
 * none of Ferry's leases, checkpoints, version checks or lanes — plus raw Kafka's
 * and the raw change stream's latency at a rate; for NATS, a JetStream publish-to-consume and its latency at a rate
 * ({@link RawJetStream}). Each stage runs {@code rounds} times (the first ones warm the JIT, as Ferry's processes are
 * warmed) and prints one {@code RESULT} line per round, measuring its own CPU from
 * {@code /proc/self}, its allocation and its GC pauses over the round.
 */
public final class RawBaselines {

    /** The raw pipeline's consumer fetches at least as many records per poll as Ferry's projector (its consumer's). */
    static final int MAX_POLL_RECORDS = 1000;

    /**
     * @param stages      any of change-stream, kafka, bulk-write, pipeline, kafka-latency, change-stream-latency,
     *                    jetstream, jetstream-latency, jdbc-upsert, replication-pipeline (on Kafka),
     *                    replication-pipeline-jetstream ({@link RawReplicationPipeline})
     * @param natsServers the nats-server(s) of the jetstream stage; empty without it
     * @param collection  where the parent inserted {@code events} documents ({@link RawDocuments}) after {@code since},
     *                    read by the change-stream and pipeline stages
     * @param partitions  the jetstream stage's partitions (subjects), as many as Ferry's stream has
     * @param jdbcUrl     the jdbc-upsert and replication stages' PostgreSQL ({@link RawJdbcUpsert}); empty without it
     * @param idPrefix    the replication stages' changes: those of the ids starting with it, in {@code collection}
     *                    of {@code database} from {@code since} on
     */
    public record Options(List<String> stages, String mongoUri, String bootstrapServers, String natsServers,
                          int partitions, String database,
                          String collection, Instant since, int events, int payloadBytes, int lingerMs, int rounds,
                          int rate, Duration warmUp, Duration window, String jdbcUrl, String idPrefix) {
    }

    private final Options options;
    private final PrintStream out;
    private final KafkaSettings kafka;

    public RawBaselines(Options options, PrintStream out) {
        this.options = options;
        this.out = out;
        this.kafka = KafkaSettings.local(options.bootstrapServers()).withLingerMs(options.lingerMs());
    }

    public void run() throws Exception {
        try (MongoClient client = MongoClients.create(options.mongoUri())) {
            MongoDatabase database = client.getDatabase(options.database());
            for (String stage : options.stages()) {
                for (int round = 1; round <= options.rounds(); round++) {
                    Window window = new Window();
                    String figures = switch (stage) {
                        case "change-stream" -> window.rate(changeStream(database), options.events());
                        case "kafka" -> window.rate(kafka(window), options.events());
                        case "jetstream" -> jetStream(window);
                        case "jdbc-upsert" -> window.rate(jdbcUpsert(window), options.events());
                        case "bulk-write" -> window.rate(bulkWrite(database, window), options.events());
                        case "pipeline" -> pipeline(database, window);
                        case "replication-pipeline" -> replicationPipeline(client, window, false);
                        case "replication-pipeline-jetstream" -> replicationPipeline(client, window, true);
                        case "kafka-latency" -> latency(kafkaLatency());
                        case "change-stream-latency" -> latency(changeStreamLatency(database));
                        case "jetstream-latency" -> latency(jetStreamLatency());
                        default -> throw new IllegalArgumentException("unknown stage '" + stage + "'");
                    };
                    out.printf(Locale.ROOT, "RESULT stage=%s round=%d %s%n", stage, round, figures);
                    out.flush();
                }
            }
        }
    }

    /** CPU, allocation and GC of this process from its construction, ended by {@link #end()}. */
    private static final class Window {
        private long started;
        private ProcessCpu.Sample cpu;
        private long allocated;
        private long gcMillis;
        private long nanos;
        private ProcessCpu.Sample spent;
        private long allocatedInWindow;
        private long gcMillisInWindow;

        Window() {
            begin();
        }

        /** (Re)starts the window: a stage whose clients are connected and subscribed, as Ferry's processes are. */
        void begin() {
            started = System.nanoTime();
            cpu = ProcessCpu.sample(ProcessHandle.current().pid());
            allocated = allocatedBytes();
            gcMillis = gcMillis();
        }

        /** Ends the window before the clients close (their threads' allocation counts only while they live). */
        void end() {
            nanos = System.nanoTime() - started;
            spent = ProcessCpu.sample(ProcessHandle.current().pid()).since(cpu);
            allocatedInWindow = allocatedBytes() - allocated;
            gcMillisInWindow = gcMillis() - gcMillis;
        }

        /** The RESULT figures of a throughput stage that moved {@code events}. */
        String rate(long events, long expected) {
            if (spent == null) {
                end();
            }
            double perEvent = Math.max(1, expected);
            return String.format(Locale.ROOT, "events=%d perSecond=%.1f cpuMicrosPerEvent=%.1f gcCpuMicrosPerEvent=%.1f "
                    + "allocatedBytesPerEvent=%.0f gcPauseMillis=%d rssMegabytes=%d", events, events / (nanos / 1e9),
                spent.cpuNanos() / 1e3 / perEvent, spent.gcNanos() / 1e3 / perEvent, allocatedInWindow / perEvent,
                gcMillisInWindow, spent.rssBytes() >> 20);
        }

        private static long allocatedBytes() {
            if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean threads) {
                long total = 0;
                for (long allocated : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
                    total += Math.max(0, allocated);
                }
                return total;
            }
            return 0;
        }

        private static long gcMillis() {
            return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionTime).filter(t -> t > 0).sum();
        }
    }

    // ---- throughput ----

    private long changeStream(MongoDatabase database) {
        long read = 0;
        try (ChangeStreamTail tail = ChangeStreamTail.open(database.getCollection(options.collection(),
            RawBsonDocument.class), List.of(), new StartPosition.AtTime(options.since()), ChangeStreamTail.Settings.DEFAULT)) {
            while (read < options.events()) {
                read += tail.poll().size();
            }
        }
        return read;
    }

    private long kafka(Window window) throws Exception {
        String topic = "raw-" + UUID.randomUUID();
        createTopic(topic);
        byte[] value = RawDocuments.payload(options.payloadBytes()).getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<String, byte[]> producer = producer(); KafkaConsumer<String, byte[]> consumer = consumer()) {
            consumer.subscribe(List.of(topic));
            awaitAssignment(consumer);
            producer.partitionsFor(topic);
            window.begin();
            List<Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < options.events(); i++) {
                sends.add(producer.send(new ProducerRecord<>(topic, RawDocuments.key(i), value)));
            }
            for (Future<?> send : sends) {
                send.get();
            }
            long consumed = 0;
            while (consumed < options.events()) {
                consumed += consumer.poll(Duration.ofMillis(100)).count();
            }
            window.end();
            return consumed;
        }
    }

    /** Patient documents of {@code payloadBytes} upserted by plain JDBC: the PostgreSQL replica's baseline. */
    private long jdbcUpsert(Window window) throws Exception {
        if (options.jdbcUrl().isBlank()) {
            throw new IllegalArgumentException("the jdbc-upsert stage needs --jdbc-url");
        }
        try (RawJdbcUpsert.Table table = new RawJdbcUpsert(options.jdbcUrl()).open()) {
            window.begin();
            long upserted = table.upsert(options.events(), options.payloadBytes());
            window.end();
            return upserted;
        }
    }

    /**
     * Publish every message with acknowledgement, then consume them all, as the Kafka stage does; its rate is the
     * whole round's, the publish's and the consume's follow.
     */
    private String jetStream(Window window) throws Exception {
        if (options.natsServers().isBlank()) {
            throw new IllegalArgumentException("the jetstream stage needs --nats-servers");
        }
        byte[] value = RawDocuments.payload(options.payloadBytes()).getBytes(StandardCharsets.UTF_8);
        try (RawJetStream jetStream = new RawJetStream(options.natsServers(), options.partitions())) {
            window.begin();
            long started = System.nanoTime();
            jetStream.publishAll(options.events(), value);
            long published = System.nanoTime();
            long consumed = jetStream.consume(options.events());
            long ended = System.nanoTime();
            window.end();
            return window.rate(consumed, options.events()) + String.format(Locale.ROOT,
                " publishPerSecond=%.1f consumePerSecond=%.1f", options.events() / ((published - started) / 1e9),
                consumed / ((ended - published) / 1e9));
        }
    }

    /** As {@link #kafkaLatency()}: publish with acknowledgement at the rate, the pull consumer records each age. */
    private Histogram jetStreamLatency() throws Exception {
        if (options.natsServers().isBlank()) {
            throw new IllegalArgumentException("the jetstream-latency stage needs --nats-servers");
        }
        Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        long warm = options.rate() * options.warmUp().toSeconds();
        long total = options.rate() * options.window().toSeconds();
        AtomicLong measuredFrom = new AtomicLong(Long.MAX_VALUE);
        try (RawJetStream jetStream = new RawJetStream(options.natsServers(), options.partitions())) {
            CompletableFuture<Void> consuming = CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + (options.warmUp().toNanos() + options.window().toNanos()) * 4;
                try {
                    while (histogram.getTotalCount() < total && System.nanoTime() < deadline) {
                        io.nats.client.Message message = jetStream.next(Duration.ofMillis(50));
                        if (message != null) {
                            long sent = Long.parseLong(new String(message.getData(), 0, 19, StandardCharsets.UTF_8).trim());
                            if (sent >= measuredFrom.get()) {
                                histogram.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
                            }
                        }
                    }
                    jetStream.flushAck();
                } catch (Exception e) {
                    throw new IllegalStateException("the raw JetStream latency consumer failed: " + e.getMessage(), e);
                }
            });
            sendAtRate(warm + total, warm, measuredFrom, jetStream::publish);
            jetStream.awaitPublished();
            consuming.get(2, TimeUnit.MINUTES);
        }
        return histogram;
    }

    private long bulkWrite(MongoDatabase database, Window window) {
        MongoCollection<Document> collection = database.getCollection("raw_bulk_" + UUID.randomUUID());
        String pad = "x".repeat(options.payloadBytes());
        List<UpdateOneModel<Document>> batch = new ArrayList<>();
        for (int i = 0; i < options.events(); i++) {
            batch.add(upsert(RawDocuments.key(i), pad));
            if (batch.size() == 500 || i == options.events() - 1) {
                collection.bulkWrite(batch, new BulkWriteOptions().ordered(false));
                batch = new ArrayList<>();
            }
        }
        window.end();
        collection.drop();
        return options.events();
    }

    /**
     * Watch the collection, produce each document with the relay's producer settings, consume with at least Ferry's
     * {@code max.poll.records}, fold each key's records of a poll into one upsert as Ferry's projector folds an
     * aggregate's run ({@link FoldedPoll}) and write the poll as one unordered bulk write: the ceiling for Ferry's
     * pipeline on the same cores, without leases, checkpoints, version checks or lanes. Its RESULT line adds the
     * upserts written ({@code writes}): how much the folding saved.
     */
    private String pipeline(MongoDatabase database, Window window) throws Exception {
        String topic = "raw-pipeline-" + UUID.randomUUID();
        createTopic(topic);
        MongoCollection<Document> readModel = database.getCollection("raw_read_model_" + UUID.randomUUID());
        long applied = 0;
        long writes = 0;
        try (KafkaConsumer<String, byte[]> consumer = consumer(); KafkaProducer<String, byte[]> producer = producer()) {
            // Connected, subscribed and with the topic's metadata before the window, as Ferry's running processes are.
            consumer.subscribe(List.of(topic));
            awaitAssignment(consumer);
            producer.partitionsFor(topic);
            window.begin();
            CompletableFuture<Void> relaying = CompletableFuture.runAsync(() -> relay(database, producer, topic));
            while (applied < options.events()) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(100));
                if (records.isEmpty()) {
                    if (relaying.isCompletedExceptionally()) {
                        relaying.join();
                    }
                    continue;
                }
                FoldedPoll poll = new FoldedPoll();
                for (ConsumerRecord<String, byte[]> record : records) {
                    poll.add(record.key(), new RawBsonDocument(record.value()).getString("pad").getValue());
                }
                List<UpdateOneModel<Document>> batch = poll.writes();
                readModel.bulkWrite(batch, new BulkWriteOptions().ordered(false));
                applied += poll.records();
                writes += batch.size();
            }
            window.end();
            relaying.join();
        }
        readModel.drop();
        return window.rate(applied, options.events()) + " writes=" + writes;
    }

    private void relay(MongoDatabase database, KafkaProducer<String, byte[]> producer, String topic) {
        long sent = 0;
        try (ChangeStreamTail tail = ChangeStreamTail.open(database.getCollection(options.collection(),
            RawBsonDocument.class), List.of(), new StartPosition.AtTime(options.since()), ChangeStreamTail.Settings.DEFAULT)) {
            while (sent < options.events()) {
                for (ChangeStreamDocument<RawBsonDocument> change : tail.poll()) {
                    RawBsonDocument document = change.getFullDocument();
                    byte[] value = new byte[document.getByteBuffer().remaining()];
                    document.getByteBuffer().asNIO().get(value);
                    producer.send(new ProducerRecord<>(topic, document.getString(RawDocuments.KEY).getValue(), value));
                    sent++;
                }
            }
            producer.flush();
        }
    }

    /**
     * The raw replication pipeline ({@link RawReplicationPipeline}) into a MongoDB replica (a new collection in the
     * source's MongoDB, as Ferry's MongoDB replica is) and a PostgreSQL replica (a new table); the rate is the whole
     * run's (the slower replica's, from the start), each replica's catch-up rate follows ({@code <replica>PerSecond},
     * counted as Ferry's catch-up is: {@link RawReplicationPipeline.Caught}).
     */
    private String replicationPipeline(MongoClient client, Window window, boolean jetStream) throws Exception {
        if (options.jdbcUrl().isBlank() || options.idPrefix().isBlank() || (jetStream && options.natsServers().isBlank())) {
            throw new IllegalArgumentException("the replication stages need --jdbc-url and --id-prefix (on JetStream "
                + "also --nats-servers)");
        }
        Map<String, RawReplica> replicas = new LinkedHashMap<>();
        replicas.put("mongodb", new RawMongoReplica(client.getDatabase("raw_replica")
            .getCollection("patients_" + UUID.randomUUID().toString().replace("-", ""), BsonDocument.class)));
        replicas.put("postgresql", new RawPostgresReplica(options.jdbcUrl()));
        try (RawChannel channel = jetStream ? new RawJetStreamChannel(options.natsServers(), options.partitions())
            : new RawKafkaChannel(kafka)) {
            RawReplicationPipeline pipeline = new RawReplicationPipeline(client.getDatabase(options.database())
                .getCollection(options.collection(), RawBsonDocument.class), options.idPrefix(), options.since(),
                options.events(), channel, replicas);
            window.begin();
            Map<String, RawReplicationPipeline.Caught> caught = pipeline.run();
            window.end();
            StringBuilder figures = new StringBuilder(window.rate(options.events(), options.events()));
            caught.forEach((replica, figure) -> figures.append(String.format(Locale.ROOT, " %sPerSecond=%.1f", replica,
                figure.perSecond(options.events()))));
            return figures.toString();
        } finally {
            for (RawReplica replica : replicas.values()) {
                replica.close();
            }
        }
    }

    private static UpdateOneModel<Document> upsert(String key, String pad) {
        return new UpdateOneModel<>(new Document("_id", key),
            Updates.combine(Updates.set("state.pad", pad), Updates.inc("_version", 1)), new UpdateOptions().upsert(true));
    }

    // ---- latency ----

    private Histogram kafkaLatency() throws Exception {
        String topic = "raw-latency-" + UUID.randomUUID();
        createTopic(topic);
        Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        long warm = options.rate() * options.warmUp().toSeconds();
        long total = options.rate() * options.window().toSeconds();
        AtomicLong measuredFrom = new AtomicLong(Long.MAX_VALUE);
        try (KafkaProducer<String, byte[]> producer = producer(); KafkaConsumer<String, byte[]> consumer = consumer()) {
            consumer.subscribe(List.of(topic));
            awaitAssignment(consumer);
            CompletableFuture<Void> consuming = CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + (options.warmUp().toNanos() + options.window().toNanos()) * 4;
                while (histogram.getTotalCount() < total && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                        long sent = Long.parseLong(new String(record.value(), 0, 19, StandardCharsets.UTF_8).trim());
                        if (sent >= measuredFrom.get()) {
                            histogram.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
                        }
                    }
                }
            });
            sendAtRate(warm + total, warm, measuredFrom,
                (i, value) -> producer.send(new ProducerRecord<>(topic, RawDocuments.key(i), value)));
            consuming.get(2, TimeUnit.MINUTES);
        }
        return histogram;
    }

    /**
     * Polls until the group has given this (only) member the topic's partitions: records sent before that wait for the
     * join, which would measure the group protocol as the baseline's tail, not Kafka's latency.
     */
    static void awaitAssignment(KafkaConsumer<?, ?> consumer) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consumer.assignment().isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the raw Kafka consumer got no partitions within 30 s");
            }
            if (!consumer.poll(Duration.ofMillis(100)).isEmpty()) {
                throw new IllegalStateException("the raw Kafka latency topic is not empty before the run");
            }
        }
        consumer.assignment().forEach(consumer::position); // resolves the start offsets now, not on the first record
    }

    /** Sends one message of the payload size. */
    @FunctionalInterface
    private interface Send {
        void send(int index, byte[] value) throws Exception;
    }

    /**
     * The latency stages' open-loop load: {@code count} messages at the rate, each starting with its send time (19
     * digits, nanoTime) that the consumer subtracts; the window opens ({@code measuredFrom}) after {@code warm}.
     */
    private void sendAtRate(long count, long warm, AtomicLong measuredFrom, Send send) throws Exception {
        long interval = TimeUnit.SECONDS.toNanos(1) / options.rate();
        long next = System.nanoTime();
        String pad = RawDocuments.payload(options.payloadBytes() - 20);
        for (long i = 0; i < count; i++) {
            LockSupport.parkNanos(next - System.nanoTime());
            next += interval;
            if (i == warm) {
                measuredFrom.set(System.nanoTime());
            }
            send.send((int) i, (String.format("%19d", System.nanoTime()) + pad).getBytes(StandardCharsets.UTF_8));
        }
    }

    private Histogram changeStreamLatency(MongoDatabase database) throws Exception {
        MongoCollection<Document> collection = database.getCollection("raw_cs_latency_" + UUID.randomUUID());
        Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        long total = options.rate() * options.window().toSeconds();
        AtomicLong measuredFrom = new AtomicLong(Long.MAX_VALUE);
        try (ChangeStreamTail tail = ChangeStreamTail.open(database.getCollection(collection.getNamespace()
            .getCollectionName(), RawBsonDocument.class), List.of(), new StartPosition.Now(), ChangeStreamTail.Settings.DEFAULT)) {
            CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + (options.warmUp().toNanos() + options.window().toNanos()) * 4;
                while (histogram.getTotalCount() < total && System.nanoTime() < deadline) {
                    for (ChangeStreamDocument<RawBsonDocument> change : tail.poll()) {
                        long sent = change.getFullDocument().getInt64("sentAt").getValue();
                        if (sent >= measuredFrom.get()) {
                            histogram.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
                        }
                    }
                }
            });
            insertAtRate(collection, options.rate() * options.warmUp().toSeconds());
            measuredFrom.set(System.nanoTime());
            insertAtRate(collection, total);
            reading.get(2, TimeUnit.MINUTES);
        }
        collection.drop();
        return histogram;
    }

    /** Eight writers inserting {@code count} documents stamped with their send time, together at the rate. */
    private void insertAtRate(MongoCollection<Document> collection, long count) throws Exception {
        int writers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        AtomicLong claimed = new AtomicLong();
        String pad = RawDocuments.payload(options.payloadBytes() - 20);
        long start = System.nanoTime();
        long interval = TimeUnit.SECONDS.toNanos(1) / options.rate();
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            futures.add(pool.submit(() -> {
                // Open loop: the i-th insert is due at start + i / rate, whichever writer is free takes it.
                for (long i = claimed.getAndIncrement(); i < count; i = claimed.getAndIncrement()) {
                    LockSupport.parkNanos(start + i * interval - System.nanoTime());
                    collection.insertOne(new Document("sentAt", System.nanoTime()).append("pad", pad));
                }
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get();
        }
        pool.shutdown();
    }

    private static String latency(Histogram micros) {
        return String.format(Locale.ROOT, "p50=%.2f p99=%.2f p999=%.2f count=%d", micros.getValueAtPercentile(50) / 1000.0,
            micros.getValueAtPercentile(99) / 1000.0, micros.getValueAtPercentile(99.9) / 1000.0, micros.getTotalCount());
    }

    // ---- clients ----

    private void createTopic(String topic) {
        try (TopicProvisioner topics = new TopicProvisioner(kafka)) {
            topics.ensure(topic); // waits for the partition leaders
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        KafkaPublishers relay = new KafkaPublishers(kafka);
        try {
            Properties props = new Properties();
            props.putAll(relay.producerConfig()); // the relay's: the baseline does the same batching and acks
            return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        } finally {
            relay.close();
        }
    }

    private KafkaConsumer<String, byte[]> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, MAX_POLL_RECORDS);
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }
}
