package dev.ferry.benchmark.replication;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.ferry.benchmark.pipeline.PipelineBenchmark;
import dev.ferry.benchmark.raw.PatientDocuments;

/**
 * One live run (the seed's scenario): the writers' window, each replica's last write, then the raw baselines (a plain
 * JDBC upsert, a plain Kafka produce-to-consume) on as many documents, in a process of their own.
 */
final class LiveScenario {

    private final ReplicationLayout replication;
    private final int writers;
    private final Duration window;

    LiveScenario(ReplicationLayout replication, int writers, Duration window) {
        this.replication = replication;
        this.writers = writers;
        this.window = window;
    }

    ReplicationResult.Run run(int bytes, String prefix) throws Exception {
        Map<String, Long> before = replication.processed();
        Map<String, Long> cpuBefore = replication.cpuNanos();
        long epochBefore = replication.layout().leaseEpoch();
        long stepDownsBefore = replication.layout().leaderStepDowns();
        PatientWriters.Writes writes = PatientWriters.write(replication.patients(), writers, window, bytes, prefix);
        Map<String, Long> done = replication.awaitReplicas(before, writes.count());
        Map<String, Long> cpuAfter = replication.cpuNanos();
        long leaseTakeovers = replication.layout().leaseEpoch() - epochBefore;
        long stepDowns = replication.layout().leaderStepDowns() - stepDownsBefore;
        Map<String, Double> cpuMicrosPerWrite = new LinkedHashMap<>();
        cpuAfter.forEach((role, nanos) -> cpuMicrosPerWrite.put(role,
            (nanos - cpuBefore.getOrDefault(role, 0L)) / 1e3 / writes.count()));
        int recordBytes = PatientDocuments.jsonBytes(bytes);
        List<String> lines = replication.layout().runRaw("raw", List.of("--stages", "jdbc-upsert,kafka", "--events",
            Long.toString(writes.count()), "--payload-bytes", Integer.toString(recordBytes), "--jdbc-url",
            replication.jdbcUrl(), "--rounds", "2")); // the first round warms the raw clients' JIT, as the warm-up did Ferry's
        Map<String, Map<String, String>> raw = PipelineBenchmark.lastRounds(lines);
        long mongoDone = done.get(ReplicationLayout.MONGODB_TARGET);
        long postgresDone = done.get(ReplicationLayout.POSTGRESQL_TARGET);
        return new ReplicationResult.Run(writes.count(), writes.perSecond(),
            writes.count() / ((mongoDone - writes.firstNanos()) / 1e9),
            writes.count() / ((postgresDone - writes.firstNanos()) / 1e9),
            (mongoDone - writes.lastNanos()) / 1e6, (postgresDone - writes.lastNanos()) / 1e6,
            Double.parseDouble(raw.get("jdbc-upsert").get("perSecond")),
            Double.parseDouble(raw.get("kafka").get("perSecond")), cpuMicrosPerWrite, leaseTakeovers, stepDowns);
    }
}
