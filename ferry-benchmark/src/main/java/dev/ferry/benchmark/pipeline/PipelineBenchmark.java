package dev.ferry.benchmark.pipeline;

import java.io.PrintStream;
import java.lang.management.CompilationMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
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
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
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

import dev.ferry.core.event.NewEvent;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.projection.LatencyObservingWriter;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.StartPosition;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.kafka.projector.ProjectorRuntime;
import dev.ferry.engine.ProjectorSettings;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.kafka.publish.TopicProvisioner;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.parking.MongoParkedEvents;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import dev.ferry.mongodb.relay.MongoCheckpointStore;
import dev.ferry.mongodb.relay.MongoGapLog;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * The pipeline benchmark, on the embedded stack, with its baselines measured in the same run: raw change-stream
 * read rate, raw Kafka produce-to-consume rate and latency, raw read-model bulk-write rate. Ferry's catch-up
 * throughput (pre-loaded store to complete read model) is reported as a ratio to the slowest raw stage, and its
 * steady-state end-to-end latency (append to read model written) next to raw Kafka's and the raw change stream's
 * at the same rate. A program, not a test.
 */
public final class PipelineBenchmark {

    /**
     * One scenario's figures, as {@code ferry bench pipeline --json} prints them.
     *
     * @param coldJvmPerSecond a catch-up's rate the first time this JVM ran it (the warm-up's first round, the JIT
     *                         still compiling); null for the latency scenarios
     */
    public record Result(String scenario, int payloadBytes, long events, double ferryPerSecond, double baselinePerSecond,
                         String slowestBaseline, Double coldJvmPerSecond, Integer rate, double[] latencyMillis,
                         double[] rawKafkaLatencyMillis, double[] rawChangeStreamLatencyMillis) {

        double ratio() {
            return baselinePerSecond == 0 ? 0 : ferryPerSecond / baselinePerSecond;
        }

        String toJson() {
            StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                "{\"scenario\":\"%s\",\"payloadBytes\":%d,\"events\":%d,\"ferryPerSecond\":%.1f,\"baselinePerSecond\":%.1f,"
                    + "\"slowestBaseline\":\"%s\",\"ratio\":%.3f", scenario, payloadBytes, events, ferryPerSecond,
                baselinePerSecond, slowestBaseline, ratio()));
            if (coldJvmPerSecond != null) {
                json.append(String.format(Locale.ROOT, ",\"coldJvmPerSecond\":%.1f", coldJvmPerSecond));
            }
            if (rate != null) {
                json.append(",\"rate\":").append(rate)
                    .append(",\"latencyMillis\":").append(latency(latencyMillis))
                    .append(",\"rawKafkaLatencyMillis\":").append(latency(rawKafkaLatencyMillis))
                    .append(",\"rawChangeStreamLatencyMillis\":").append(latency(rawChangeStreamLatencyMillis));
            }
            return json.append('}').toString();
        }

        private static String latency(double[] values) {
            return String.format(Locale.ROOT, "{\"p50\":%.2f,\"p99\":%.2f,\"p999\":%.2f}", values[0], values[1], values[2]);
        }
    }

    /**
     * What to run.
     *
     * @param lingerMs the relay producer's batching delay, which the raw Kafka baseline's producer uses too
     */
    public record Options(int smallEvents, int largeEvents, int[] rates, Duration latencyWindow, Path plot, int lingerMs) {
    }

    /**
     * Unmeasured load before each steady-state measurement, Ferry's and the baselines' alike: new clients connect and
     * fetch metadata in their first few hundred milliseconds (raw Kafka's whole p99 tail used to be its first 0.3 s).
     */
    private static final Duration STEADY_WARM_UP = Duration.ofSeconds(2);
    /** The warm-up ends once the JIT compiles for less than this share of the machine's CPU time in a round... */
    private static final double JIT_QUIET_SHARE = 0.05;
    /** ...or after this many rounds. */
    private static final int MAX_WARM_UP_ROUNDS = 6;

    private final Options options;
    private final PrintStream progress;
    private final AtomicInteger namespaces = new AtomicInteger();
    private final LatencyPlot plot = new LatencyPlot();

    public PipelineBenchmark(Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
    }

    public List<Result> run() throws Exception {
        List<Result> results = new ArrayList<>();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            Map<Integer, Double> cold = warmUp(kafka);
            for (int[] scenario : catchUps()) {
                results.add(catchUpScenario(kafka, scenario[0], scenario[1], cold.get(scenario[0])));
            }
            // The steady-state rates get a MongoDB of their own too. Its oplog holds about 20 s of the highest rate's
            // writes (events, read-model updates, the baseline's inserts); the tails follow its head.
            int highestRate = Arrays.stream(options.rates()).max().orElse(0);
            try (EmbeddedMongo mongo = EmbeddedMongo.start(0, 3 * 20 * highestRate + 100_000);
                 MongoClient client = MongoClients.create(mongo.connectionString())) {
                System.gc(); // the catch-ups' server is garbage now; collect it before measuring, not during
                for (int rate : options.rates()) {
                    progress.printf("steady state at %,d events/s...%n", rate);
                    results.add(latencyScenario(client, kafka, rate));
                }
            }
        }
        plot.write(options.plot(), "End-to-end latency percentiles (embedded stack, "
            + Runtime.getRuntime().availableProcessors() + " cores)");
        return results;
    }

    private Result catchUpScenario(EmbeddedKafka kafka, int bytes, int events, double cold) throws Exception {
        progress.printf("catch-up, %d-byte events, %,d events: baselines...%n", bytes, events);
        CatchUp rates = catchUp(kafka, bytes, events, progress);
        progress.printf("  Ferry catch-up %,.0f/s%n", rates.ferry());
        return new Result("catch-up", bytes, events, rates.ferry(), rates.slowestBaseline(), rates.slowestName(), cold,
            null, null, null, null);
    }

    /**
     * One catch-up, its baselines first, each on a MongoDB of its own: the embedded oplog keeps every written document
     * on this JVM's heap (a real MongoDB keeps it off Ferry's), and one server kept for all the catch-ups filled ZGC's
     * heap with the earlier ones' documents until allocations stalled for hundreds of milliseconds ({@code -Xlog:gc}).
     * Each oplog holds everything written to it: the baselines' documents, or the events and the read-model updates.
     */
    private CatchUp catchUp(EmbeddedKafka kafka, int bytes, int events, PrintStream out) throws Exception {
        double changeStream;
        double bulk;
        System.gc(); // the previous catch-up's servers are garbage now; collect them before measuring, not during
        try (EmbeddedMongo mongo = EmbeddedMongo.start(0, 2 * events + 10_000);
             MongoClient client = MongoClients.create(mongo.connectionString())) {
            changeStream = rawChangeStreamRate(client, events, bytes);
            bulk = rawBulkWriteRate(client, events, bytes);
        }
        double kafkaRate = rawKafkaRate(kafka, events, bytes);
        out.printf("  change stream %,.0f/s, Kafka %,.0f/s, bulk write %,.0f/s; Ferry...%n", changeStream, kafkaRate,
            bulk);
        System.gc();
        try (EmbeddedMongo mongo = EmbeddedMongo.start(0, 2 * events + 10_000);
             MongoClient client = MongoClients.create(mongo.connectionString())) {
            return new CatchUp(changeStream, kafkaRate, bulk, ferryCatchUp(client, kafka, events, bytes, out));
        }
    }

    /** A catch-up's rates, events per second: the three raw stages and Ferry's. */
    private record CatchUp(double changeStream, double kafka, double bulkWrite, double ferry) {

        double slowestBaseline() {
            return Math.min(changeStream, Math.min(kafka, bulkWrite));
        }

        String slowestName() {
            return changeStream <= kafka && changeStream <= bulkWrite ? "raw change stream"
                : kafka <= bulkWrite ? "raw Kafka produce->consume" : "raw read-model bulk write";
        }
    }

    /**
     * Runs every catch-up, baselines and Ferry at full size, unmeasured, until the JIT is quiet: a cold JVM spends more
     * CPU compiling than piping events, which would measure the compiler, not the pipeline (a relay or projector runs
     * for days). Smaller rounds do not do it: methods called once per batch reach C2's thresholds only after many
     * batches, and after rounds of a tenth of the size C2 still took a third of the CPU of the 100,000-event catch-up
     * (JFR's compilation events). Returns each payload size's Ferry rate of the first round: the cold-JVM figure.
     */
    private Map<Integer, Double> warmUp(EmbeddedKafka kafka) throws Exception {
        long started = System.nanoTime();
        progress.printf(Locale.ROOT, "warm-up (JIT), unmeasured: rounds of every catch-up until compiling takes under "
            + "%.0f %% of the CPU...%n", JIT_QUIET_SHARE * 100);
        PrintStream quiet = new PrintStream(java.io.OutputStream.nullOutputStream());
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        int cores = Runtime.getRuntime().availableProcessors();
        Map<Integer, Double> cold = new HashMap<>();
        for (int round = 1; round <= MAX_WARM_UP_ROUNDS; round++) {
            long roundStart = System.nanoTime();
            long compiledBefore = jit.getTotalCompilationTime();
            StringBuilder rates = new StringBuilder();
            for (int[] scenario : catchUps()) {
                double rate = catchUp(kafka, scenario[0], scenario[1], quiet).ferry();
                cold.putIfAbsent(scenario[0], rate);
                rates.append(String.format(Locale.ROOT, ", Ferry %,.0f/s at %d B", rate, scenario[0]));
            }
            double share = (jit.getTotalCompilationTime() - compiledBefore) * 1e6
                / ((System.nanoTime() - roundStart) * (double) cores);
            progress.printf(Locale.ROOT, "  round %d: compiling %.0f %% of the CPU%s%n", round, share * 100, rates);
            if (share < JIT_QUIET_SHARE) {
                break;
            }
        }
        progress.printf(Locale.ROOT, "  warm-up done in %.1f s%n", (System.nanoTime() - started) / 1e9);
        return cold;
    }

    /** The catch-up scenarios: {payload bytes, events}. */
    private int[][] catchUps() {
        return new int[][] {{300, options.smallEvents()}, {10_240, options.largeEvents()}};
    }

    // ---- Ferry ----

    private double ferryCatchUp(MongoClient client, EmbeddedKafka kafka, int events, int bytes, PrintStream progress)
        throws Exception {
        Pipeline pipeline = new Pipeline(client, kafka, null);
        Instant before = Instant.now().minusSeconds(1);
        appendInParallel(pipeline.store, events, bytes);
        StageCpu cpu = new StageCpu();
        long started = System.nanoTime();
        pipeline.start(new StartPosition.AtTime(before));
        long deadline = started + TimeUnit.MINUTES.toNanos(10);
        long relayDone = 0;
        long relayFirst = 0;
        long lastApplied = -1;
        long lastProgress = System.nanoTime();
        while (pipeline.projector.status().applied() < events && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
            long applied = pipeline.projector.status().applied();
            if (applied != lastApplied) {
                lastApplied = applied;
                lastProgress = System.nanoTime();
            } else if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(30)) {
                throw new IllegalStateException("catch-up stalled: " + pipeline.projector.status() + ", relay "
                    + pipeline.relay.status());
            }
            if (relayFirst == 0 && pipeline.relay.status().published() > 0) {
                relayFirst = System.nanoTime();
            }
            if (relayDone == 0 && pipeline.relay.status().published() >= events) {
                relayDone = System.nanoTime();
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        double rate = pipeline.projector.status().applied() / seconds;
        if (relayDone == 0 && pipeline.relay.status().published() >= events) {
            relayDone = System.nanoTime(); // published and applied within the same 10 ms check
        }
        // Which stage set the pace: the relay alone (store -> Kafka) against the whole pipeline.
        progress.printf(Locale.ROOT, "  relay published its first event after %.2f s, all %,d after %.2f s; read model "
            + "complete after %.2f s%n", (relayFirst - started) / 1e9, events,
            relayDone == 0 ? Double.NaN : (relayDone - started) / 1e9, seconds);
        progress.printf("  %s%n", cpu.perEvent(events, seconds));
        pipeline.close();
        return rate;
    }

    private Result latencyScenario(MongoClient client, EmbeddedKafka kafka, int rate) throws Exception {
        Recorder recorder = new Recorder(TimeUnit.MINUTES.toMicros(5), 3);
        Pipeline pipeline = new Pipeline(client, kafka, recorder);
        pipeline.start(new StartPosition.Now());
        StageLatencyProbe probe = new StageLatencyProbe(kafka.bootstrapServers(),
            pipeline.settings.topicNaming().topicFor("patient"));
        // Warm up (the relay leads, the projector owns its partitions, the JIT has run) before measuring.
        appendAtRate(pipeline.store, rate, STEADY_WARM_UP, 300, "warm");
        awaitCaughtUp(pipeline);
        recorder.getIntervalHistogram();
        probe.reset();
        long appended = appendAtRate(pipeline.store, rate, options.latencyWindow(), 300, "run");
        awaitCaughtUp(pipeline);
        Histogram ferry = recorder.getIntervalHistogram();
        progress.printf("  where it goes: %s; end to end p50 %.1f / p99 %.1f ms%n", probe.summary(),
            ferry.getValueAtPercentile(50) / 1000.0, ferry.getValueAtPercentile(99) / 1000.0);
        probe.close();
        pipeline.close();
        double achieved = appended / (double) options.latencyWindow().toSeconds();
        Histogram rawKafka = rawKafkaLatency(kafka, rate);
        Histogram rawChangeStream = rawChangeStreamLatency(client, rate);
        plot.add("Ferry @" + rate + "/s", ferry);
        plot.add("raw Kafka @" + rate + "/s", rawKafka);
        plot.add("raw change stream @" + rate + "/s", rawChangeStream);
        return new Result("steady-state latency", 300, appended, achieved, rate, "requested rate", null, rate,
            percentiles(ferry), percentiles(rawKafka), percentiles(rawChangeStream));
    }

    private static void awaitCaughtUp(Pipeline pipeline) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (pipeline.lag() > 0 && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** The collector in use: the embedded MongoDB keeps every document on the heap, so its pauses show in latency. */
    static String garbageCollector() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
            .collect(Collectors.joining(" + "));
    }

    /** The pipeline under test: event store, one relay, one projector with 16 lanes, own collections and topics. */
    private final class Pipeline implements AutoCloseable {
        final MongoEventStore store;
        final KafkaPublishers publishers;
        final KafkaSettings settings;
        final MongoDatabase database;
        final Recorder latency;
        ChangeStreamRelay relay;
        ProjectorRuntime projector;

        Pipeline(MongoClient client, EmbeddedKafka kafka, Recorder latency) {
            int n = namespaces.incrementAndGet();
            this.database = client.getDatabase("bench_" + n);
            this.settings = KafkaSettings.local(kafka.bootstrapServers()).withLingerMs(options.lingerMs())
                .withTopics(new TopicNaming("b" + n + "."), "b" + n + ".dead-letter");
            this.store = new MongoEventStore(database, "events", settings.topicNaming(), 1_000_000).createIndexes();
            this.publishers = new KafkaPublishers(settings);
            this.latency = latency;
        }

        void start(StartPosition position) {
            relay = new ChangeStreamRelay(RelaySettings.defaults("bench").withInitialPosition(position), "r1",
                new MongoChangeSource(database.getCollection("events", RawBsonDocument.class), ChangeStreamTail.Settings.DEFAULT),
                publishers, new MongoCheckpointStore(database, "ferry_leases"), new MongoLeaseStore(database, "ferry_leases"),
                new MongoGapLog(database, "ferry_gaps"));
            relay.start();
            Projection projection = Projection.named("bench_read_model").forAggregateTypes("patient")
                .otherwise((event, context) -> new ReadModelChange.Merge(event.payloadJson())).build();
            ReadModelWriter writer = new MongoReadModelWriter(database, false);
            if (latency != null) {
                writer = new LatencyObservingWriter(writer, millis -> latency.recordValue(millis * 1000));
            }
            projector = new ProjectorRuntime(projection, writer, new MongoParkedEvents(database), ProjectorSettings.DEFAULT,
                settings, "p1");
            projector.start();
        }

        long lag() {
            return database.getCollection("events").countDocuments() - projector.status().applied()
                - projector.status().duplicates();
        }

        @Override
        public void close() {
            projector.close();
            relay.close();
            publishers.close();
            database.drop(); // measured already; later scenarios should not carry its documents on the heap
        }
    }

    private static void appendInParallel(MongoEventStore store, int events, int bytes) throws Exception {
        String payload = payload(bytes);
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<?>> writers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int writer = w;
            writers.add(pool.submit(() -> {
                // Each writer owns its aggregates: no conflicts, so the store is measured, not retries.
                long[] versions = new long[250];
                for (int i = next.getAndIncrement(); i < events; i = next.getAndIncrement()) {
                    int aggregate = i % 250;
                    store.append("patient", "w" + writer + "-" + aggregate, versions[aggregate]++,
                        List.of(new NewEvent("Changed", payload)));
                }
                return null;
            }));
        }
        for (Future<?> writer : writers) {
            writer.get();
        }
        pool.shutdown();
    }

    private static long appendAtRate(MongoEventStore store, int rate, Duration window, int bytes, String prefix)
        throws Exception {
        String payload = payload(bytes);
        int writers = 4;
        AtomicLong appended = new AtomicLong();
        long end = System.nanoTime() + window.toNanos();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        List<Future<?>> futures = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            futures.add(pool.submit(() -> {
                long interval = TimeUnit.SECONDS.toNanos(1) * writers / rate;
                long next = System.nanoTime();
                long[] versions = new long[250];
                while (System.nanoTime() < end) {
                    LockSupport.parkNanos(next - System.nanoTime());
                    next += interval;
                    int aggregate = (int) (appended.get() % 250);
                    store.append("patient", prefix + writer + "-" + aggregate, versions[aggregate]++,
                        List.of(new NewEvent("Changed", payload)));
                    appended.incrementAndGet();
                }
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get();
        }
        pool.shutdown();
        return appended.get();
    }

    // ---- baselines ----

    private double rawChangeStreamRate(MongoClient client, int events, int bytes) {
        MongoDatabase database = client.getDatabase("raw_cs_" + namespaces.incrementAndGet());
        MongoCollection<Document> collection = database.getCollection("docs");
        Instant before = Instant.now().minusSeconds(1);
        List<Document> batch = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            batch.add(new Document("i", i).append("pad", "x".repeat(bytes)));
            if (batch.size() == 500 || i == events - 1) {
                collection.insertMany(batch);
                batch = new ArrayList<>();
            }
        }
        long started = System.nanoTime();
        long read = 0;
        try (ChangeStreamTail tail = ChangeStreamTail.open(database.getCollection("docs", RawBsonDocument.class), List.of(),
            new StartPosition.AtTime(before), ChangeStreamTail.Settings.DEFAULT)) {
            while (read < events) {
                read += tail.poll().size();
            }
        }
        double rate = read / ((System.nanoTime() - started) / 1e9);
        database.drop();
        return rate;
    }

    private double rawKafkaRate(EmbeddedKafka kafka, int events, int bytes) throws Exception {
        String topic = "raw-" + namespaces.incrementAndGet();
        createTopic(kafka, topic);
        byte[] value = payload(bytes).getBytes(StandardCharsets.UTF_8);
        long started = System.nanoTime();
        try (KafkaProducer<String, byte[]> producer = producer(kafka)) {
            List<Future<?>> sends = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                sends.add(producer.send(new ProducerRecord<>(topic, "k" + (i % 1000), value)));
            }
            for (Future<?> send : sends) {
                send.get();
            }
        }
        long consumed = 0;
        try (KafkaConsumer<String, byte[]> consumer = consumer(kafka)) {
            consumer.subscribe(List.of(topic));
            while (consumed < events) {
                consumed += consumer.poll(Duration.ofMillis(100)).count();
            }
        }
        return consumed / ((System.nanoTime() - started) / 1e9);
    }

    private double rawBulkWriteRate(MongoClient client, int events, int bytes) {
        MongoDatabase database = client.getDatabase("raw_bulk_" + namespaces.incrementAndGet());
        MongoCollection<Document> collection = database.getCollection("read_model");
        String pad = "x".repeat(bytes);
        long started = System.nanoTime();
        List<UpdateOneModel<Document>> batch = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            batch.add(new UpdateOneModel<>(new Document("_id", "agg-" + (i % 1000)),
                Updates.combine(Updates.set("state.pad", pad), Updates.inc("_version", 1)), new UpdateOptions().upsert(true)));
            if (batch.size() == 500 || i == events - 1) {
                collection.bulkWrite(batch, new BulkWriteOptions().ordered(false));
                batch = new ArrayList<>();
            }
        }
        double rate = events / ((System.nanoTime() - started) / 1e9);
        database.drop();
        return rate;
    }

    private Histogram rawKafkaLatency(EmbeddedKafka kafka, int rate) throws Exception {
        String topic = "raw-latency-" + namespaces.incrementAndGet();
        createTopic(kafka, topic);
        Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        long warm = rate * STEADY_WARM_UP.toSeconds();
        long total = rate * options.latencyWindow().toSeconds();
        AtomicLong measuredFrom = new AtomicLong(Long.MAX_VALUE);
        try (KafkaProducer<String, byte[]> producer = producer(kafka); KafkaConsumer<String, byte[]> consumer = consumer(kafka)) {
            consumer.subscribe(List.of(topic));
            awaitAssignment(consumer);
            CompletableFuture<Void> consuming = CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + (STEADY_WARM_UP.toNanos() + options.latencyWindow().toNanos()) * 4;
                while (histogram.getTotalCount() < total && System.nanoTime() < deadline) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(50))) {
                        long sent = Long.parseLong(new String(record.value(), StandardCharsets.UTF_8).substring(0, 19).trim());
                        if (sent >= measuredFrom.get()) {
                            histogram.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
                        }
                    }
                }
            });
            long interval = TimeUnit.SECONDS.toNanos(1) / rate;
            long next = System.nanoTime();
            for (long i = 0; i < warm + total; i++) {
                LockSupport.parkNanos(next - System.nanoTime());
                next += interval;
                if (i == warm) {
                    measuredFrom.set(System.nanoTime());
                }
                String value = String.format("%19d", System.nanoTime()) + payload(280);
                producer.send(new ProducerRecord<>(topic, "k" + (i % 1000), value.getBytes(StandardCharsets.UTF_8)));
            }
            consuming.get(2, TimeUnit.MINUTES);
        }
        return histogram;
    }

    /**
     * Polls until the group has given this (only) member the topic's partitions: records sent before that wait for the
     * join, which would measure the group protocol as the baseline's tail, not Kafka's latency.
     */
    private static void awaitAssignment(KafkaConsumer<?, ?> consumer) {
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

    private Histogram rawChangeStreamLatency(MongoClient client, int rate) throws Exception {
        MongoDatabase database = client.getDatabase("raw_cs_latency_" + namespaces.incrementAndGet());
        MongoCollection<Document> collection = database.getCollection("docs");
        Histogram histogram = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        long total = rate * options.latencyWindow().toSeconds();
        AtomicLong measuredFrom = new AtomicLong(Long.MAX_VALUE);
        try (ChangeStreamTail tail = ChangeStreamTail.open(database.getCollection("docs", RawBsonDocument.class), List.of(),
            new StartPosition.Now(), ChangeStreamTail.Settings.DEFAULT)) {
            CompletableFuture<Void> reading = CompletableFuture.runAsync(() -> {
                long deadline = System.nanoTime() + (STEADY_WARM_UP.toNanos() + options.latencyWindow().toNanos()) * 4;
                while (histogram.getTotalCount() < total && System.nanoTime() < deadline) {
                    for (ChangeStreamDocument<RawBsonDocument> change : tail.poll()) {
                        long sent = change.getFullDocument().getInt64("sentAt").getValue();
                        if (sent >= measuredFrom.get()) {
                            histogram.recordValue(Math.max(0, (System.nanoTime() - sent) / 1000));
                        }
                    }
                }
            });
            insertAtRate(collection, rate, rate * STEADY_WARM_UP.toSeconds());
            measuredFrom.set(System.nanoTime());
            insertAtRate(collection, rate, total);
            reading.get(2, TimeUnit.MINUTES);
            database.drop();
        }
        return histogram;
    }

    /** Four writers inserting {@code count} documents stamped with their send time, together at {@code rate}. */
    private static void insertAtRate(MongoCollection<Document> collection, int rate, long count) throws Exception {
        ExecutorService writers = Executors.newFixedThreadPool(4);
        AtomicLong written = new AtomicLong();
        List<Future<?>> futures = new ArrayList<>();
        String pad = payload(280);
        for (int w = 0; w < 4; w++) {
            futures.add(writers.submit(() -> {
                long interval = TimeUnit.SECONDS.toNanos(1) * 4 / rate;
                long next = System.nanoTime();
                while (written.incrementAndGet() <= count) {
                    LockSupport.parkNanos(next - System.nanoTime());
                    next += interval;
                    collection.insertOne(new Document("sentAt", System.nanoTime()).append("pad", pad));
                }
                return null;
            }));
        }
        for (Future<?> future : futures) {
            future.get();
        }
        writers.shutdown();
    }

    private static void createTopic(EmbeddedKafka kafka, String topic) {
        try (TopicProvisioner topics = new TopicProvisioner(KafkaSettings.local(kafka.bootstrapServers()))) {
            topics.ensure(topic); // waits for the partition leaders
        }
    }

    private KafkaProducer<String, byte[]> producer(EmbeddedKafka kafka) {
        // As Ferry's relay on the embedded stack: the same batching and compression, so the baseline does the same work.
        KafkaSettings relay = KafkaSettings.local(kafka.bootstrapServers()).withLingerMs(options.lingerMs());
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        props.put(ProducerConfig.LINGER_MS_CONFIG, relay.lingerMs());
        props.put(ProducerConfig.BATCH_SIZE_CONFIG, KafkaPublishers.BATCH_SIZE_BYTES);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, relay.compression());
        return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
    }

    private static KafkaConsumer<String, byte[]> consumer(EmbeddedKafka kafka) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "raw-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
    }

    private static String payload(int bytes) {
        return "{\"pad\":\"" + "x".repeat(Math.max(0, bytes - 10)) + "\"}";
    }

    private static double[] percentiles(Histogram micros) {
        return new double[] {micros.getValueAtPercentile(50) / 1000.0, micros.getValueAtPercentile(99) / 1000.0,
            micros.getValueAtPercentile(99.9) / 1000.0};
    }

    /** The Markdown report. */
    public static void printMarkdown(List<Result> results, PrintStream out) {
        out.printf("# Ferry pipeline benchmark%n%nmachine: %d cores, %s, Java %s, %s; embedded MongoDB and Kafka in one JVM%n%n",
            Runtime.getRuntime().availableProcessors(), System.getProperty("os.arch"), System.getProperty("java.version"),
            garbageCollector());
        out.printf("| scenario | payload | events | Ferry events/s | slowest raw stage | its events/s | ratio "
            + "| Ferry in a cold JVM, events/s |%n");
        out.printf("|---|---|---|---|---|---|---|---|%n");
        for (Result r : results) {
            if (r.rate() == null) {
                out.printf(Locale.ROOT, "| %s | %d B | %,d | %,.0f | %s | %,.0f | %.2f | %,.0f |%n", r.scenario(),
                    r.payloadBytes(), r.events(), r.ferryPerSecond(), r.slowestBaseline(), r.baselinePerSecond(), r.ratio(),
                    r.coldJvmPerSecond());
            }
        }
        out.printf("%n| rate requested | achieved | Ferry p50 / p99 / p99.9 ms | raw Kafka p50 / p99 / p99.9 ms | raw change stream p50 / p99 / p99.9 ms |%n");
        out.printf("|---|---|---|---|---|%n");
        for (Result r : results) {
            if (r.rate() != null) {
                out.printf(Locale.ROOT, "| %,d/s | %,.0f/s | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f | %.1f / %.1f / %.1f |%n",
                    r.rate(), r.ferryPerSecond(), r.latencyMillis()[0], r.latencyMillis()[1], r.latencyMillis()[2],
                    r.rawKafkaLatencyMillis()[0], r.rawKafkaLatencyMillis()[1], r.rawKafkaLatencyMillis()[2],
                    r.rawChangeStreamLatencyMillis()[0], r.rawChangeStreamLatencyMillis()[1], r.rawChangeStreamLatencyMillis()[2]);
            }
        }
        out.printf("%nSeed's published figures for comparison: Kafka 8,000/s simple and 3,000/s at 10 KB; NATS 20,000/s, "
            + "2,600/s, 150/s at 10 KB.%n");
    }

    public static String toJson(List<Result> results) {
        StringBuilder json = new StringBuilder("[");
        for (int i = 0; i < results.size(); i++) {
            json.append(i == 0 ? "" : ",").append(results.get(i).toJson());
        }
        return json.append(']').toString();
    }
}
