package dev.ferry.benchmark.oplog;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntFunction;

import org.HdrHistogram.Histogram;
import org.bson.Document;
import org.bson.RawBsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.mongodb.changestream.ChangeStreamTail;

/**
 * Measures what the embedded MongoDB's change stream costs Ferry: CPU of an idle tail (with its back-off), and
 * insert-to-delivery latency at a fixed rate as the oplog grows. The stock mongo-java-server oplog is measured
 * the same way as the baseline it replaces. A measurement program, not a test: it asserts nothing.
 */
public final class ChangeStreamOplogProbe {

    /** What to measure. */
    public record Options(int[] oplogSizes, int[] stockOplogSizes, int ratePerSecond, Duration latencyWindow,
                          Duration idleWindow) {
    }

    private record Server(String name, String connectionString, AutoCloseable handle) {
    }

    /** Idle time after which the driver's read path is compiled. */
    private static final Duration JIT_WARM_UP = Duration.ofSeconds(30);

    private final PrintStream out;
    private final Options options;

    public ChangeStreamOplogProbe(PrintStream out, Options options) {
        this.out = out;
        this.options = options;
    }

    public void run() throws Exception {
        out.printf("# Embedded MongoDB change stream: idle cost and delivery latency vs oplog size%n%n");
        out.printf("machine: %d cores, %s, Java %s%n%n", Runtime.getRuntime().availableProcessors(),
            System.getProperty("os.arch"), System.getProperty("java.version"));

        double[] baseline = idleCpu(null);
        double[] ferryIdle = idleCpu(ferryServer(1));
        ChangeStreamTail.Settings tail = ChangeStreamTail.Settings.DEFAULT;
        out.printf("| idle change-stream tail | CPU %% of one core, first %ds | after %ds more |%n|---|---|---|%n",
            options.idleWindow().toSeconds(), JIT_WARM_UP.toSeconds());
        out.printf("| none (server idle, baseline) | %.2f | %.2f |%n", baseline[0], baseline[1]);
        out.printf("| Ferry oplog + ChangeStreamTail, idle back-off %d-%d ms | %.2f | %.2f |%n%n",
            tail.idleMin().toMillis(), tail.idleMax().toMillis(), ferryIdle[0], ferryIdle[1]);

        // Unreported warm-up, so the first row does not measure the JIT.
        latencyRow(ferryServer(10_000), 0, false);

        out.printf("| server | oplog entries | rate/s | delivered | p50 ms | p99 ms | max ms |%n");
        out.printf("|---|---|---|---|---|---|---|%n");
        for (int size : options.oplogSizes()) {
            latencyRow(ferryServer(size + 10_000), size, true);
        }
        for (int size : options.stockOplogSizes()) {
            latencyRow(stockServer(), size, true);
        }
    }

    private Server ferryServer(int capacity) {
        EmbeddedMongo mongo = EmbeddedMongo.start(0, capacity);
        return new Server("Ferry embedded oplog", mongo.connectionString(), mongo);
    }

    private static Server stockServer() {
        MongoServer server = new MongoServer(new MemoryBackend());
        server.enableOplog();
        server.bind(new InetSocketAddress("127.0.0.1", 0), 1, 1);
        return new Server("stock mongo-java-server 1.47.0", "mongodb://127.0.0.1:" + server.getLocalAddress().getPort(),
            server::shutdownNow);
    }

    /**
     * CPU used by this process over the idle window, as a percentage of one core: just after the tail starts
     * (the driver's code still interpreted), and again once the JIT has compiled it.
     */
    private double[] idleCpu(Server server) throws Exception {
        if (server == null) {
            double idle = cpuPercentOver(options.idleWindow());
            return new double[] {idle, idle};
        }
        try (AutoCloseable handle = server.handle(); MongoClient client = MongoClients.create(server.connectionString())) {
            MongoCollection<RawBsonDocument> events = client.getDatabase("probe").getCollection("events", RawBsonDocument.class);
            events.insertOne(RawBsonDocument.parse("{\"warm\": true}"));
            AtomicBoolean running = new AtomicBoolean(true);
            Thread reader = new Thread(() -> {
                try (ChangeStreamTail tail = ChangeStreamTail.open(events, List.of(), new StartPosition.Now(),
                    ChangeStreamTail.Settings.DEFAULT)) {
                    while (running.get()) {
                        tail.poll();
                    }
                }
            }, "idle-tail");
            reader.start();
            try {
                LockSupport.parkNanos(Duration.ofSeconds(1).toNanos()); // let the back-off reach its cap
                double cold = cpuPercentOver(options.idleWindow());
                LockSupport.parkNanos(JIT_WARM_UP.toNanos());
                double warm = cpuPercentOver(options.idleWindow());
                return new double[] {cold, warm};
            } finally {
                running.set(false);
                reader.join();
            }
        }
    }

    private static double cpuPercentOver(Duration window) {
        com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuBefore = os.getProcessCpuTime();
        long wallBefore = System.nanoTime();
        LockSupport.parkNanos(window.toNanos());
        long cpu = os.getProcessCpuTime() - cpuBefore;
        long wall = System.nanoTime() - wallBefore;
        return 100.0 * cpu / wall;
    }

    private void latencyRow(Server server, int oplogEntries, boolean report) throws Exception {
        try (AutoCloseable handle = server.handle(); MongoClient client = MongoClients.create(server.connectionString())) {
            MongoDatabase database = client.getDatabase("probe");
            fill(database.getCollection("filler"), oplogEntries);
            MongoCollection<Document> events = database.getCollection("events");
            MongoCollection<RawBsonDocument> rawEvents = database.getCollection("events", RawBsonDocument.class);
            int total = (int) (options.ratePerSecond() * options.latencyWindow().toSeconds());
            Histogram latencies = new Histogram(TimeUnit.SECONDS.toNanos(60), 3);

            AtomicBoolean done = new AtomicBoolean();
            Thread reader;
            try (ChangeStreamTail tail = ChangeStreamTail.open(rawEvents, List.of(), new StartPosition.Now(),
                ChangeStreamTail.Settings.DEFAULT)) {
                reader = new Thread(() -> {
                    long deadline = System.nanoTime() + options.latencyWindow().toNanos() * 20;
                    while (latencies.getTotalCount() < total && System.nanoTime() < deadline) {
                        for (ChangeStreamDocument<RawBsonDocument> change : tail.poll()) {
                            long sentAt = change.getFullDocument().getInt64("sentAt").getValue();
                            latencies.recordValue(Math.max(0, System.nanoTime() - sentAt));
                        }
                    }
                    done.set(true);
                }, "latency-tail");
                reader.start();
                long interval = TimeUnit.SECONDS.toNanos(1) / options.ratePerSecond();
                long next = System.nanoTime();
                for (int i = 0; i < total && !done.get(); i++) {
                    LockSupport.parkNanos(next - System.nanoTime());
                    events.insertOne(new Document("n", i).append("sentAt", System.nanoTime()));
                    next += interval;
                }
                reader.join();
            }
            if (!report) {
                return;
            }
            out.printf("| %s | %,d | %d | %d/%d | %.2f | %.2f | %.2f |%n", server.name(), oplogEntries,
                options.ratePerSecond(), latencies.getTotalCount(), total, millis(latencies.getValueAtPercentile(50)),
                millis(latencies.getValueAtPercentile(99)), millis(latencies.getMaxValue()));
        }
    }

    private static void fill(MongoCollection<Document> filler, int entries) {
        IntFunction<Document> doc = i -> new Document("i", i).append("pad", "x".repeat(200));
        List<Document> batch = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            batch.add(doc.apply(i));
            if (batch.size() == 1000) {
                filler.insertMany(batch);
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            filler.insertMany(batch);
        }
    }

    private static double millis(long nanos) {
        return nanos / 1_000_000.0;
    }
}
