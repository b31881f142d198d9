package dev.ferry.benchmark.pipeline;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;

import dev.ferry.benchmark.process.AdminEndpoint;
import dev.ferry.benchmark.process.FerryLauncher;
import dev.ferry.benchmark.process.IdleCores;
import dev.ferry.benchmark.raw.RawDocuments;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.event.NewEvent;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * The pipeline benchmark, laid out as in production ({@link ProductionLayout}): the embedded stack, the relay and
 * the projector each in a process of their own, the raw baselines in processes of their own, all measured in the same
 * run. Every scenario runs {@code repeat} times; the report gives medians with their spread.
 * <ul>
 *   <li>catch-up at 300 B and 10 KB: a backlog appended while the relay is frozen (SIGSTOP), then released; Ferry's
 *   rate and each process's cost per event, beside the raw stages' rates and the raw pipeline's (the ceiling);</li>
 *   <li>steady-state latency at each rate: append to read model written, with the load generator's achieved rate;</li>
 *   <li>relay failover: {@code kills} kill -9 of the leader under load ({@link RelayFailover}).</li>
 * </ul>
 * On NATS JetStream ({@code transport}) the relay and the projector run with {@code transport: nats}; each catch-up
 * adds a raw JetStream publish-to-consume of the same size beside the raw Kafka stages; the latency runs' stage
 * breakdown and the failover's epoch watch read the JetStream stream ({@link PipelineTail}).
 * A program, not a test.
 */
public final class PipelineBenchmark {

    /**
     * What to run.
     *
     * @param lingerMs     the relay producer's batching delay, which the raw producers use too
     * @param repeat       runs of every scenario
     * @param warmUpRounds unmeasured catch-up rounds first: the JIT compiles the relay's and projector's hot paths
     * @param kills        relay failovers to measure (0: none)
     * @param backlog      events of the successor's catch-up after the failovers
     * @param logs         where each process's output goes
     * @param transport    what the relay and the projector run on
     * @param idleWindow   after the warm-up, nothing is appended for this long while each process's CPU is read
     *                     (zero: no idle scenario)
     * @param exactlyOnce  the relays in Kafka's exactly-once mode; results are then named {@code kafka-exactly-once}
     */
    public record Options(int smallEvents, int largeEvents, int[] rates, Duration latencyWindow, Path plot, int lingerMs,
                          int repeat, int warmUpRounds, int kills, int backlog, Path logs, FerryConfig.Transport transport,
                          Duration idleWindow, boolean exactlyOnce) {
    }

    /** Unmeasured load before each steady-state measurement: new clients connect and fetch metadata first. */
    public static final Duration STEADY_WARM_UP = Duration.ofSeconds(2);
    /** The catch-up's window opens once this share of the backlog is applied: the released relay re-takes its lease. */
    private static final double WINDOW_OPENS_AT = 0.01;
    private static final int APPENDERS = 8;
    /**
     * Writers of an open-loop load: enough that appends in flight never run out at 5,000/s (each may take up to
     * 6 ms); idle ones only wait.
     */
    private static final int APPENDERS_AT_RATE = 32;

    private final Options options;
    private final FerryLauncher launcher;
    private final PrintStream progress;
    private final AtomicInteger tags = new AtomicInteger();
    private final LatencyPlot plot = new LatencyPlot();
    private String machine = "";

    public PipelineBenchmark(Options options, FerryLauncher launcher, PrintStream progress) {
        this.options = options;
        this.launcher = launcher;
        this.progress = progress;
    }

    public List<BenchmarkResult> run() throws Exception {
        long started = System.nanoTime();
        List<BenchmarkResult> results = new ArrayList<>();
        int largest = Math.max(options.smallEvents(), Math.max(options.largeEvents(), options.backlog()));
        // The oplog must hold the raw documents until the raw pipeline's last round has read them, after each round's
        // bulk write; Ferry's rounds need only their own events and updates. Older entries fall out of it.
        int oplog = (options.warmUpRounds() + 3) * largest + 100_000;
        try (ProductionLayout layout = new ProductionLayout(launcher, options.logs(), oplog, options.lingerMs(),
            options.transport(), options.exactlyOnce(), progress)) {
            ProductionLayout.Service relay = layout.startRelay();
            ProductionLayout.Service projector = layout.startProjector();
            machine = String.format(Locale.ROOT, "%d cores, %s, Java %s", Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.arch"), System.getProperty("java.version"));

            Map<Integer, Double> cold = new HashMap<>();
            for (int round = 1; round <= options.warmUpRounds(); round++) {
                for (int[] scenario : catchUps()) {
                    double rate = ferryCatchUp(layout, relay, projector, scenario[0], scenario[1]).ferryPerSecond();
                    cold.putIfAbsent(scenario[0], rate);
                    progress.printf(Locale.ROOT, "warm-up round %d (unmeasured): Ferry %,.0f/s at %d B%n", round, rate,
                        scenario[0]);
                }
            }
            // Measured once the JIT has compiled the hot paths, reported after the other scenarios.
            IdleResult idle = null;
            if (!options.idleWindow().isZero()) {
                idle = idle(layout, relay, projector);
                progress.printf("idle, nothing appended for %d s: cores used per process: %s; live-leader step-downs "
                    + "%d%n", idle.seconds(), idle.describe(), idle.liveLeaderStepDowns());
            }
            Map<Integer, List<CatchUpResult.Run>> runs = new LinkedHashMap<>();
            for (int repeat = 1; repeat <= options.repeat(); repeat++) {
                for (int[] scenario : catchUps()) {
                    progress.printf("catch-up run %d/%d, %d-byte events, %,d events...%n", repeat, options.repeat(),
                        scenario[0], scenario[1]);
                    CatchUpResult.Run ferry = ferryCatchUp(layout, relay, projector, scenario[0], scenario[1]);
                    CatchUpResult.Run run = withRaw(layout, ferry, scenario[0], scenario[1]);
                    progress.printf(Locale.ROOT, "  Ferry %,.0f/s (%s); raw pipeline %,.0f/s (ratio %.2f); raw stages "
                            + "%s; live-leader step-downs %d%n", run.ferryPerSecond(), transportName(),
                        run.raw().get("pipeline"), run.ratioToRawPipeline(), run.raw(), run.liveLeaderStepDowns());
                    runs.computeIfAbsent(scenario[0], k -> new ArrayList<>()).add(run);
                }
            }
            for (int[] scenario : catchUps()) {
                results.add(new CatchUpResult(transportName(), scenario[0], scenario[1], runs.get(scenario[0]),
                    cold.getOrDefault(scenario[0], Double.NaN)));
            }

            for (int rate : options.rates()) {
                List<LatencyResult.Run> latencyRuns = new ArrayList<>();
                for (int repeat = 1; repeat <= options.repeat(); repeat++) {
                    progress.printf("steady state at %,d events/s, run %d/%d...%n", rate, repeat, options.repeat());
                    latencyRuns.add(latency(layout, projector, rate, repeat == 1));
                }
                results.add(new LatencyResult(transportName(), rate, latencyRuns));
            }

            if (options.kills() > 0) {
                results.add(new RelayFailover(layout, relay, options.kills(), options.backlog(), progress).run());
            }
            if (idle != null) {
                results.add(idle);
            }
        }
        plot.write(options.plot(), "End-to-end latency percentiles (production layout, " + machine + ")");
        progress.printf(Locale.ROOT, "benchmark done in %.1f minutes%n", (System.nanoTime() - started) / 60e9);
        return results;
    }

    /** {@code kafka} or {@code nats}, as the configuration and the JSON name it; {@code kafka-exactly-once} in that mode. */
    private String transportName() {
        return options.transport().name().toLowerCase(Locale.ROOT) + (options.exactlyOnce() ? "-exactly-once" : "");
    }

    /** The catch-up scenarios: {payload bytes, events}. */
    private int[][] catchUps() {
        return new int[][] {{300, options.smallEvents()}, {10_240, options.largeEvents()}};
    }

    // ---- idle ----

    /**
     * Nothing appended for the idle window once every earlier event is applied: each process's CPU over it (cores),
     * read from {@code /proc}, and the step-downs logged meanwhile.
     */
    private IdleResult idle(ProductionLayout layout, ProductionLayout.Service relay, ProductionLayout.Service projector) {
        Map<String, Long> pids = new LinkedHashMap<>();
        pids.put("relay", relay.process().pid());
        pids.put("projector", projector.process().pid());
        pids.put("stack", layout.stack().pid());
        layout.natsPid().ifPresent(pid -> pids.put(CatchUpResult.NATS_SERVER, pid));
        long stepDownsBefore = layout.leaderStepDowns();
        Map<String, Double> cores = IdleCores.measure(options.idleWindow(), () -> IdleCores.cpuNanosOf(pids));
        return new IdleResult(transportName(), options.idleWindow().toSeconds(), cores,
            layout.leaderStepDowns() - stepDownsBefore);
    }

    // ---- catch-up ----

    /**
     * One catch-up: the relay frozen (SIGSTOP) while the backlog is appended, then released; the window runs from the
     * first {@value #WINDOW_OPENS_AT} of the backlog applied (the released relay first re-takes its lease, which is
     * not catch-up work) to the last, and each process's CPU is read from {@code /proc} at both ends.
     */
    private CatchUpResult.Run ferryCatchUp(ProductionLayout layout, ProductionLayout.Service relay,
                                           ProductionLayout.Service projector, int bytes, int events) throws Exception {
        AdminEndpoint applied = projector.admin();
        long before = applied.statusNumber("applied"); // every earlier scenario's events are applied by now
        relay.process().signal("STOP");
        try {
            appendInParallel(layout.store(), events, bytes, "c" + tags.incrementAndGet() + "-");
        } finally {
            relay.process().signal("CONT");
        }
        long opensAt = before + Math.max(1, (long) (events * WINDOW_OPENS_AT));
        awaitApplied(applied, opensAt, Duration.ofMinutes(5));
        long windowStart = System.nanoTime();
        // The released relay logged its own step-down (frozen past its TTL) before it re-took the lease to publish
        // these events: from here on, a step-down is a live leader's.
        long stepDownsBefore = layout.leaderStepDowns();
        Map<String, ProcessCost.Mark> start = marks(layout, relay, projector);
        awaitApplied(applied, before + events, Duration.ofMinutes(10));
        double seconds = (System.nanoTime() - windowStart) / 1e9;
        Map<String, ProcessCost.Mark> end = marks(layout, relay, projector);
        double measured = before + events - opensAt;
        Map<String, ProcessCost> cost = new LinkedHashMap<>();
        for (String process : start.keySet()) {
            cost.put(process, start.get(process).until(end.get(process), measured));
        }
        return new CatchUpResult.Run(measured / seconds, Map.of(), cost, Double.NaN, Double.NaN,
            layout.leaderStepDowns() - stepDownsBefore);
    }

    private static Map<String, ProcessCost.Mark> marks(ProductionLayout layout, ProductionLayout.Service relay,
                                                       ProductionLayout.Service projector) throws Exception {
        Map<String, ProcessCost.Mark> marks = new HashMap<>();
        marks.put("relay", ProcessCost.Mark.of(relay.process().pid(), relay.admin()));
        marks.put("projector", ProcessCost.Mark.of(projector.process().pid(), projector.admin()));
        marks.put("stack", ProcessCost.Mark.of(layout.stack().pid(), null));
        if (layout.natsPid().isPresent()) {
            marks.put(CatchUpResult.NATS_SERVER, ProcessCost.Mark.of(layout.natsPid().getAsLong(), null));
        }
        return marks;
    }

    private static void awaitApplied(AdminEndpoint projector, long applied, Duration atMost) throws Exception {
        long deadline = System.nanoTime() + atMost.toNanos();
        long seen;
        while ((seen = projector.statusNumber("applied")) < applied) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the projector applied " + seen + " of " + applied + " events within "
                    + atMost);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** The raw stages and the raw pipeline on the same backlog size, in a process of their own. */
    private CatchUpResult.Run withRaw(ProductionLayout layout, CatchUpResult.Run ferry, int bytes, int events)
        throws Exception {
        String collection = "raw_docs_" + tags.incrementAndGet();
        Instant since = Instant.now().minusSeconds(1);
        RawDocuments.insert(layout.client().getDatabase("raw").getCollection(collection), events, bytes);
        List<String> lines = layout.runRaw("raw", List.of("--database", "raw", "--collection", collection,
            "--since", since.toString(), "--events", Integer.toString(events), "--payload-bytes", Integer.toString(bytes),
            "--linger-ms", Integer.toString(options.lingerMs()),
            "--rounds", Integer.toString(options.warmUpRounds() + 1),
            // The readers of the raw documents first: the oplog need not hold them past the other stages' writes.
            "--stages", "change-stream,pipeline,kafka,bulk-write"
                + (options.transport() == FerryConfig.Transport.NATS ? ",jetstream" : "")));
        layout.client().getDatabase("raw").getCollection(collection).drop();
        Map<String, Map<String, String>> last = lastRounds(lines);
        Map<String, Double> raw = new LinkedHashMap<>();
        for (String stage : List.of("change-stream", "kafka", "bulk-write", "pipeline")) {
            raw.put(stage, Double.parseDouble(last.get(stage).get("perSecond")));
        }
        if (last.containsKey("jetstream")) {
            Map<String, String> jetStream = last.get("jetstream");
            raw.put("jetstream", Double.parseDouble(jetStream.get("perSecond")));
            raw.put("jetstream-publish", Double.parseDouble(jetStream.get("publishPerSecond")));
            raw.put("jetstream-consume", Double.parseDouble(jetStream.get("consumePerSecond")));
        }
        Map<String, String> pipeline = last.get("pipeline");
        return new CatchUpResult.Run(ferry.ferryPerSecond(), raw, ferry.cost(),
            Double.parseDouble(pipeline.get("cpuMicrosPerEvent")),
            Double.parseDouble(pipeline.get("writes")) / Math.max(1, Double.parseDouble(pipeline.get("events"))),
            ferry.liveLeaderStepDowns());
    }

    /** Each stage's last RESULT line (after the warm-up rounds), as key=value pairs. */
    public static Map<String, Map<String, String>> lastRounds(List<String> lines) {
        Map<String, Map<String, String>> last = new HashMap<>();
        for (String line : lines) {
            Map<String, String> figures = new HashMap<>();
            for (String pair : line.trim().split(" ")) {
                String[] kv = pair.split("=", 2);
                figures.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
            last.put(figures.get("stage"), figures);
        }
        return last;
    }

    // ---- steady state ----

    private LatencyResult.Run latency(ProductionLayout layout, ProductionLayout.Service projector, int rate,
                                      boolean plotted) throws Exception {
        String tag = "s" + tags.incrementAndGet() + "-";
        long stepDownsBefore = layout.leaderStepDowns();
        AdminEndpoint admin = projector.admin();
        long before = admin.statusNumber("applied");
        Map<String, double[]> stages;
        AdminEndpoint.Metrics start;
        Load load;
        // The probe joins its group (Kafka) or subscribes (NATS) during the warm-up: a join takes seconds, and the
        // window must not wait for it.
        try (StageLatencyProbe probe = new StageLatencyProbe(layout)) {
            long warm = appendAtRate(layout.store(), rate, STEADY_WARM_UP, tag + "w").appended();
            awaitApplied(admin, before + warm, Duration.ofMinutes(2));
            start = admin.metrics();
            probe.reset();
            load = appendAtRate(layout.store(), rate, options.latencyWindow(), tag);
            awaitApplied(admin, before + warm + load.appended(), Duration.ofMinutes(2));
            stages = probe.percentiles();
        }
        AdminEndpoint.Metrics end = admin.metrics();
        long stepDowns = layout.leaderStepDowns() - stepDownsBefore;
        double[] ferry = BucketPercentiles.between(start, end, "ferry_projector_end_to_end_seconds");
        List<String> lines = layout.runRaw("raw-latency", List.of("--database", "raw", "--rate", Integer.toString(rate),
            "--seconds", Long.toString(options.latencyWindow().toSeconds()), "--payload-bytes", "300",
            "--linger-ms", Integer.toString(options.lingerMs()), "--rounds", "1",
            "--stages", "kafka-latency,change-stream-latency"
                + (options.transport() == FerryConfig.Transport.NATS ? ",jetstream-latency" : "")));
        Map<String, Map<String, String>> raw = lastRounds(lines);
        progress.printf(Locale.ROOT, "  achieved %,.0f/s; Ferry p50 %.1f / p99 %.1f ms; %s; live-leader step-downs %d; raw "
                + "Kafka p99 %s ms, raw change stream p99 %s ms%s%n", load.perSecond(), ferry[0], ferry[1],
            StageLatencyProbe.describe(stages),
            stepDowns,
            raw.get("kafka-latency").get("p99"), raw.get("change-stream-latency").get("p99"),
            raw.containsKey("jetstream-latency") ? ", raw JetStream p99 " + raw.get("jetstream-latency").get("p99") + " ms" : "");
        if (plotted) {
            plot.add("Ferry @" + rate + "/s", BucketPercentiles.histogram(start, end, "ferry_projector_end_to_end_seconds"));
        }
        return new LatencyResult.Run(load.appended(), load.perSecond(), ferry, percentiles(raw.get("kafka-latency")),
            percentiles(raw.get("change-stream-latency")),
            raw.containsKey("jetstream-latency") ? percentiles(raw.get("jetstream-latency")) : null, stages, stepDowns);
    }

    private static double[] percentiles(Map<String, String> figures) {
        return new double[] {Double.parseDouble(figures.get("p50")), Double.parseDouble(figures.get("p99")),
            Double.parseDouble(figures.get("p999"))};
    }

    // ---- load ----

    /** Appends {@code events} as fast as {@value #APPENDERS} writers can, each owning its aggregates (no conflicts). */
    static void appendInParallel(MongoEventStore store, int events, int bytes, String prefix) throws Exception {
        String payload = RawDocuments.payload(bytes);
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(APPENDERS);
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < APPENDERS; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    long[] versions = new long[125];
                    for (int i = next.getAndIncrement(); i < events; i = next.getAndIncrement()) {
                        int aggregate = i % versions.length;
                        store.append(ProductionLayout.AGGREGATE_TYPE, prefix + writer + "-" + aggregate,
                            versions[aggregate]++, List.of(new NewEvent("Changed", payload)));
                    }
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** What an open-loop load appended and at what rate it did. */
    record Load(long appended, double perSecond) {
    }

    /**
     * Appends 300-byte events at {@code rate} for {@code window}, open loop: the i-th append is due at start + i / rate
     * and whichever of the {@value #APPENDERS_AT_RATE} writers is free takes it, so one slow append does not slow the
     * load.
     */
    static Load appendAtRate(MongoEventStore store, int rate, Duration window, String prefix) throws Exception {
        String payload = RawDocuments.payload(300);
        long count = rate * window.toSeconds();
        long interval = TimeUnit.SECONDS.toNanos(1) / rate;
        AtomicLong claimed = new AtomicLong();
        AtomicLong appended = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(APPENDERS_AT_RATE);
        long start = System.nanoTime();
        try {
            List<Future<?>> writers = new ArrayList<>();
            for (int w = 0; w < APPENDERS_AT_RATE; w++) {
                int writer = w;
                writers.add(pool.submit(() -> {
                    Map<String, Long> versions = new HashMap<>();
                    for (long i = claimed.getAndIncrement(); i < count; i = claimed.getAndIncrement()) {
                        LockSupport.parkNanos(start + i * interval - System.nanoTime());
                        String aggregate = prefix + writer + "-" + (i % 125);
                        long version = versions.merge(aggregate, 1L, Long::sum) - 1;
                        store.append(ProductionLayout.AGGREGATE_TYPE, aggregate, version,
                            List.of(new NewEvent("Changed", payload)));
                        appended.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> writer : writers) {
                writer.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return new Load(appended.get(), appended.get() / ((System.nanoTime() - start) / 1e9));
    }

    // ---- reports ----

    /** The Markdown report. */
    public void printMarkdown(List<BenchmarkResult> results, PrintWriter out) {
        out.printf("# Ferry pipeline benchmark%n%nmachine: %s; production layout: embedded MongoDB + Kafka in one "
            + "process, relay and projector each in their own (JVM options of the Dockerfile, -XX:MaxRAM=768m); medians "
            + "of %d runs with (min–max)%s%n%n", machine, options.repeat(),
            options.transport() == FerryConfig.Transport.NATS ? "; Ferry's relay and projector on NATS JetStream (a "
                + "nats-server process of its own), the raw Kafka stages beside them on the stack's idle Kafka" : "");
        out.printf("| payload | events | Ferry events/s | raw pipeline events/s | raw pipeline writes per event (folded "
            + "per poll) | Ferry ÷ raw pipeline (worst run) | slowest raw stage events/s | CPU µs/event relay / projector / "
            + "stack | cold JVM events/s |%n");
        out.printf("|---|---|---|---|---|---|---|---|---|%n");
        for (BenchmarkResult result : results) {
            if (result instanceof CatchUpResult r) {
                out.printf(Locale.ROOT, "| %d B | %,d | %s | %s | %.3f | %.2f | %s | %.0f / %.0f / %.0f | %,.0f |%n",
                    r.payloadBytes(), r.events(), r.ferry().markdown("%,.0f"), r.rawPipeline().markdown("%,.0f"),
                    r.rawPipelineWrites().median(), r.worstRatioToRawPipeline(), r.slowestStage().markdown("%,.0f"),
                    r.cost("relay", ProcessCost::cpuMicrosPerEvent).median(),
                    r.cost("projector", ProcessCost::cpuMicrosPerEvent).median(),
                    r.cost("stack", ProcessCost::cpuMicrosPerEvent).median(), r.coldJvmPerSecond());
            }
        }
        if (options.transport() == FerryConfig.Transport.NATS) {
            out.printf("%n| payload | Ferry on NATS events/s | raw JetStream publish→consume events/s | Ferry ÷ raw "
                + "JetStream (worst run) | raw JetStream publish/s | raw JetStream consume/s | CPU µs/event nats-server "
                + "|%n|---|---|---|---|---|---|---|%n");
            for (BenchmarkResult result : results) {
                if (result instanceof CatchUpResult r) {
                    out.printf(Locale.ROOT, "| %d B | %s | %s | %.2f | %s | %s | %.0f |%n", r.payloadBytes(),
                        r.ferry().markdown("%,.0f"), r.raw("jetstream").markdown("%,.0f"), r.worstRatioToRawJetStream(),
                        r.raw("jetstream-publish").markdown("%,.0f"), r.raw("jetstream-consume").markdown("%,.0f"),
                        r.cost(CatchUpResult.NATS_SERVER, ProcessCost::cpuMicrosPerEvent).median());
                }
            }
        }
        boolean nats = options.transport() == FerryConfig.Transport.NATS;
        out.printf("%n| rate requested | achieved (worst run) | Ferry p50 / p99 / p99.9 ms (median run) | worst run's "
            + "p99 | raw Kafka p50 / p99 ms | raw change stream p50 / p99 ms |%s stages p50 / p99 ms (median run) |%n"
            + "|---|---|---|---|---|---|%s---|%n", nats ? " raw JetStream p50 / p99 ms |" : "", nats ? "---|" : "");
        for (BenchmarkResult result : results) {
            if (result instanceof LatencyResult r) {
                LatencyResult.Run median = r.medianRun();
                out.printf(Locale.ROOT, "| %,d/s | %,.0f/s%s | %.1f / %.1f / %.1f | %.1f | %.1f / %.1f | %.1f / %.1f |%s %s |%n",
                    r.rate(), r.achievedMin(), r.reached() ? "" : " (rate not reached)", median.ferry()[0],
                    median.ferry()[1], median.ferry()[2], r.worstRun().ferry()[1], median.rawKafka()[0],
                    median.rawKafka()[1], median.rawChangeStream()[0], median.rawChangeStream()[1],
                    median.rawJetStream() == null ? "" : String.format(Locale.ROOT, " %.1f / %.1f |",
                        median.rawJetStream()[0], median.rawJetStream()[1]), StageLatencyProbe.describe(median.stages()));
            }
        }
        for (BenchmarkResult result : results) {
            if (result instanceof FailoverResult r) {
                double[] acked = r.acked();
                out.printf(Locale.ROOT, "%nrelay failover, %d kill -9 of the leader at %,d events/s: first acknowledged "
                        + "record of the new epoch p50 %.0f / p99 %.0f / max %.0f ms (lease taken %s, %s %s); "
                        + "successor's catch-up of %,d events: %,.0f/s from its first event, %,.0f/s from its process "
                        + "start (%.1f s to start)%n", r.kills().size(), r.rate(), Spread.percentile(acked, 50),
                    Spread.percentile(acked, 99), Spread.percentile(acked, 100),
                    FailoverResult.percentiles(r.kills().stream().mapToDouble(FailoverResult.Kill::leaseTakenMillis).toArray()),
                    r.transport().equals("nats") ? "first stored" : "first send",
                    FailoverResult.percentiles(r.kills().stream().mapToDouble(r.transport().equals("nats")
                        ? FailoverResult.Kill::firstStoredMillis : FailoverResult.Kill::firstSendMillis).toArray()),
                    r.backlogEvents(), r.successorPerSecond(), r.successorPerSecondWithStart(), r.successorStartSeconds());
            }
        }
        for (BenchmarkResult result : results) {
            if (result instanceof IdleResult r) {
                out.printf(Locale.ROOT, "%nidle, nothing appended for %d s (cores used): %s%n", r.seconds(), r.describe());
            }
        }
        out.printf("%nstep-downs of a live leader (all runs; Leadership's log lines): %s%n", results.stream()
            .map(PipelineBenchmark::stepDownsOf).collect(Collectors.joining(", ")));
    }

    /** A scenario's step-downs of a live leader, named as the report names the scenario. */
    private static String stepDownsOf(BenchmarkResult result) {
        if (result instanceof CatchUpResult r) {
            return String.format(Locale.ROOT, "catch-up %d B %d", r.payloadBytes(), r.liveLeaderStepDowns());
        }
        if (result instanceof LatencyResult r) {
            return String.format(Locale.ROOT, "latency %,d/s %d", r.rate(), r.liveLeaderStepDowns());
        }
        if (result instanceof FailoverResult r) {
            return "failover " + r.liveLeaderStepDowns();
        }
        return "idle " + ((IdleResult) result).liveLeaderStepDowns();
    }

    public static String toJson(List<BenchmarkResult> results) {
        return results.stream().map(BenchmarkResult::toJson).collect(Collectors.joining(",", "[", "]"));
    }
}
