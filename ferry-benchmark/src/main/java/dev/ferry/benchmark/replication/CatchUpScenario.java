package dev.ferry.benchmark.replication;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.benchmark.pipeline.PipelineBenchmark;
import dev.ferry.benchmark.pipeline.ProductionLayout;
import dev.ferry.benchmark.process.ProcessCpu;
import dev.ferry.config.FerryConfig;

/**
 * One catch-up run: the relay frozen (SIGSTOP) while {@code changes} changes ({@link ChangeMix}) are written, then
 * released (SIGCONT). The replicators run throughout but have nothing to apply until the relay publishes again, so this
 * is the same as holding both back, without a consumer-group rebalance or a partition-lease takeover on release. The
 * window opens once a replica has handled {@value #WINDOW_OPENS_AT} of the changes (the released relay first re-takes
 * its lease, which is not catch-up work) and ends at each replica's last change; every process's CPU, its GC threads'
 * part and its memory are read from {@code /proc} at the window's ends. Then the raw pipeline runs on the same changes
 * in a process of its own ({@code ferry bench raw}, the same JVM options), a first unmeasured round warming its JIT.
 */
final class CatchUpScenario {

    static final double WINDOW_OPENS_AT = 0.01;
    /** Roles whose CPU a catch-up does not account for: the benchmark's own process only polls then. */
    private static final List<String> NOT_IN_CATCH_UP = List.of("writers");

    private final ReplicationLayout replication;
    private final int writers;

    CatchUpScenario(ReplicationLayout replication, int writers) {
        this.replication = replication;
        this.writers = writers;
    }

    /** Ferry's catch-up alone (a warm-up), or with the raw pipeline after it ({@code withRaw}). */
    CatchUpResult.Run run(int bytes, int changes, String prefix, boolean withRaw) throws Exception {
        Map<String, Long> before = replication.processed(); // every earlier change is handled by now
        Instant since = Instant.now().minusSeconds(2); // the raw pipeline reads from here, only ids of this prefix
        replication.relay().process().signal("STOP");
        try {
            ChangeMix.write(replication.patients(), writers, bytes, prefix, changes);
        } finally {
            replication.relay().process().signal("CONT");
        }
        Map<String, Long> atOpen = replication.awaitAnyReplica(before, Math.max(1, (long) (changes * WINDOW_OPENS_AT)));
        long opened = System.nanoTime();
        // The released relay logged its own step-down (frozen past its TTL) before it re-took the lease: from here on,
        // a step-down is a live leader's.
        long stepDownsBefore = replication.layout().leaderStepDowns();
        Map<String, ProcessCpu.Sample> start = replication.samples();
        Map<String, Long> done = replication.awaitReplicas(before, changes);
        Map<String, ProcessCpu.Sample> end = replication.samples();
        long stepDowns = replication.layout().leaderStepDowns() - stepDownsBefore;

        Map<String, Double> perSecond = new LinkedHashMap<>();
        long handledAtOpen = 0;
        for (String target : List.of(ReplicationLayout.MONGODB_TARGET, ReplicationLayout.POSTGRESQL_TARGET)) {
            long handled = atOpen.get(target) - before.get(target);
            handledAtOpen = Math.max(handledAtOpen, handled);
            perSecond.put(name(target), (changes - handled) / ((done.get(target) - opened) / 1e9));
        }
        double measured = changes - handledAtOpen; // the fewest changes any replica applied in the window
        Map<String, CatchUpResult.ProcessFigures> processes = new LinkedHashMap<>();
        end.forEach((role, sample) -> {
            if (!NOT_IN_CATCH_UP.contains(role)) {
                ProcessCpu.Sample spent = sample.since(start.get(role));
                processes.put(role, new CatchUpResult.ProcessFigures(spent.cpuNanos() / 1e3 / measured,
                    spent.gcNanos() / 1e3 / measured, spent.rssBytes() >> 20));
            }
        });
        if (!withRaw) {
            return new CatchUpResult.Run(perSecond, Map.of(), Double.NaN, processes, stepDowns);
        }
        String stage = replication.transport() == FerryConfig.Transport.NATS ? "replication-pipeline-jetstream"
            : "replication-pipeline";
        List<String> lines = replication.layout().runRaw("raw-replication", List.of("--stages", stage,
            "--database", ProductionLayout.DATABASE, "--collection", ReplicationLayout.COLLECTION, "--since", since.toString(),
            "--id-prefix", prefix, "--events", Integer.toString(changes), "--jdbc-url", replication.jdbcUrl(),
            "--rounds", "2")); // the first round warms the raw clients' JIT, as the warm-up did Ferry's
        Map<String, String> raw = PipelineBenchmark.lastRounds(lines).get(stage);
        if (raw == null) {
            throw new IllegalStateException("the raw replication pipeline printed no result: " + lines);
        }
        Map<String, Double> rawPerSecond = new LinkedHashMap<>();
        for (String target : CatchUpResult.TARGETS) {
            rawPerSecond.put(target, Double.parseDouble(raw.get(target + "PerSecond")));
        }
        return new CatchUpResult.Run(perSecond, rawPerSecond, Double.parseDouble(raw.get("cpuMicrosPerEvent")),
            processes, stepDowns);
    }

    /** A target's JSON name: {@code mongodb} or {@code postgresql}. */
    static String name(String target) {
        return target.equals(ReplicationLayout.MONGODB_TARGET) ? "mongodb" : "postgresql";
    }
}
