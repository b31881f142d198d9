package dev.ferry.benchmark.replication;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import dev.ferry.benchmark.pipeline.Spread;

/**
 * One scenario of the replication benchmark over all its runs: the replicas' write rates beside the raw baselines of
 * the same runs, and the seed's Kafka figure quoted for the same document size.
 *
 * @param transport        {@code kafka} or {@code nats}
 * @param documentBytes    the patient documents' size (Extended JSON)
 * @param seconds          how long the writers wrote
 * @param seedKafkaPerSecond the seed's figure for Kafka at this size (a quote, not measured here)
 * @param idleCores        each process's cores with nothing written, on this transport's layout
 */
record ReplicationResult(String transport, int documentBytes, int seconds, double seedKafkaPerSecond,
                         Map<String, Double> idleCores, List<Run> runs) {

    /**
     * One run. Rates count the documents written, from the first write's start to the moment a replica had them all
     * (its replicator's applied changes, polled every 20 ms).
     *
     * @param writes               documents the writers inserted
     * @param sourcePerSecond      the writers' rate: first write to last acknowledgement
     * @param mongoPerSecond       first write to the MongoDB replica's last write
     * @param postgresPerSecond    first write to the PostgreSQL replica's last write
     * @param mongoBehindMillis    the MongoDB replica's last write after the source's last write
     * @param postgresBehindMillis the PostgreSQL replica's last write after the source's last write
     * @param rawJdbcPerSecond     the same number of documents upserted by plain JDBC, same PostgreSQL
     * @param rawKafkaPerSecond    as many records of the same size produced and consumed, same broker
     * @param cpuMicrosPerWrite    each process's CPU over the run (first write to the last replica write) per write
     * @param relayLeaseTakeovers  new lease epochs during the run: the leader relay stepped down and a relay took over
     * @param liveLeaderStepDowns  step-downs a live leader logged during the run (every Ferry process's log: {@link
     *                             dev.ferry.benchmark.process.LeaderStepDowns}), from the first write to the last
     *                             replica write
     */
    record Run(long writes, double sourcePerSecond, double mongoPerSecond, double postgresPerSecond,
               double mongoBehindMillis, double postgresBehindMillis, double rawJdbcPerSecond,
               double rawKafkaPerSecond, Map<String, Double> cpuMicrosPerWrite, long relayLeaseTakeovers,
               long liveLeaderStepDowns) {

        String toJson() {
            return String.format(Locale.ROOT, "{\"writes\":%d,\"sourceWritesPerSecond\":%.1f,\"replicaPerSecond\":"
                    + "{\"mongodb\":%.1f,\"postgresql\":%.1f},\"replicaLastWriteAfterSourceMillis\":{\"mongodb\":%.0f,"
                    + "\"postgresql\":%.0f},\"rawJdbcUpsertPerSecond\":%.1f,\"rawKafkaPerSecond\":%.1f,"
                    + "\"relayLeaseTakeovers\":%d,\"liveLeaderStepDowns\":%d,\"cpuMicrosPerWrite\":{%s}}", writes,
                sourcePerSecond, mongoPerSecond, postgresPerSecond, mongoBehindMillis, postgresBehindMillis,
                rawJdbcPerSecond, rawKafkaPerSecond, relayLeaseTakeovers, liveLeaderStepDowns, cpuMicrosPerWrite.entrySet().stream()
                    .map(e -> String.format(Locale.ROOT, "\"%s\":%.1f", e.getKey(), e.getValue()))
                    .collect(Collectors.joining(",")));
        }
    }

    Spread spread(ToDoubleFunction<Run> figure) {
        return Spread.of(runs.stream().mapToDouble(figure).toArray());
    }

    /** The PostgreSQL replica's rate ÷ the raw JDBC upsert's, in the run where it is lowest. */
    double worstRatioToRawJdbc() {
        return runs.stream().mapToDouble(run -> run.postgresPerSecond() / run.rawJdbcPerSecond()).min().orElse(Double.NaN);
    }

    /** Step-downs of a live leader over all the runs: the issue-30 line asks for 0 in every scenario. */
    long liveLeaderStepDowns() {
        return runs.stream().mapToLong(Run::liveLeaderStepDowns).sum();
    }

    /** Each process's median CPU per write over the runs. */
    Map<String, Double> medianCpuMicrosPerWrite() {
        Map<String, Double> medians = new java.util.LinkedHashMap<>();
        runs.get(0).cpuMicrosPerWrite().keySet().forEach(role -> medians.put(role,
            spread(run -> run.cpuMicrosPerWrite().getOrDefault(role, Double.NaN)).median()));
        return medians;
    }

    /**
     * The row's JSON: the seed's scenario as it always was, plus the fields every row carries ({@code transport},
     * {@code replicaPerSecondMin}, {@code cpuMicrosPerChange}: here every change is an insert, so it is the CPU per
     * write; {@code idleCores}). A live run has no raw pipeline ({@code rawPipelinePerSecond} and
     * {@code ratioToRawPipeline} are null): its ceiling is the writers.
     */
    String toJson() {
        return String.format(Locale.ROOT, "{\"scenario\":\"live\",\"transport\":\"%s\",\"documentBytes\":%d,"
                + "\"seconds\":%d,\"runs\":%d,\"writes\":%s,\"sourceWritesPerSecond\":%s,"
                + "\"replicaPerSecond\":{\"mongodb\":%s,\"postgresql\":%s},"
                + "\"replicaLastWriteAfterSourceMillis\":{\"mongodb\":%s,\"postgresql\":%s},\"rawJdbcUpsertPerSecond\":%s,"
                + "\"rawKafkaPerSecond\":%s,\"postgresqlToRawJdbcWorstRun\":%.3f,\"seedKafkaPerSecond\":%.0f,"
                + "\"liveLeaderStepDowns\":%d,\"cpuMicrosPerWrite\":{%s},\"replicaPerSecondMin\":{\"mongodb\":%.1f,"
                + "\"postgresql\":%.1f},\"rawPipelinePerSecond\":null,\"ratioToRawPipeline\":null,"
                + "\"cpuMicrosPerChange\":%s,\"idleCores\":%s,\"perRun\":[%s]}",
            transport, documentBytes, seconds, runs.size(), json(spread(Run::writes)), json(spread(Run::sourcePerSecond)),
            json(spread(Run::mongoPerSecond)), json(spread(Run::postgresPerSecond)), json(spread(Run::mongoBehindMillis)),
            json(spread(Run::postgresBehindMillis)), json(spread(Run::rawJdbcPerSecond)),
            json(spread(Run::rawKafkaPerSecond)), worstRatioToRawJdbc(), seedKafkaPerSecond, liveLeaderStepDowns(),
            medianCpuMicrosPerWrite().entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "\"%s\":%.1f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(",")),
            spread(Run::mongoPerSecond).min(), spread(Run::postgresPerSecond).min(),
            CatchUpResult.numbers(medianCpuMicrosPerWrite()), ReplicationBenchmark.idleJson(idleCores),
            runs.stream().map(Run::toJson).collect(Collectors.joining(",")));
    }

    static String json(Spread spread) {
        return String.format(Locale.ROOT, "{\"median\":%.1f,\"min\":%.1f,\"max\":%.1f}", spread.median(), spread.min(),
            spread.max());
    }
}
