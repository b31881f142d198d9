package dev.ferry.local.demo.replication;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

import dev.ferry.core.wire.EventJson;

/**
 * What {@code ferry demo replication} proves. Field names are a public contract: other tools read its {@code --json}.
 *
 * @param changesCaptured          document changes the writers made on the source (each must reach both replicas)
 * @param changesPublished         records the relays had acknowledged by Kafka (more than captured when the relay
 *                                 failover published some again; fewer would mean a change was lost)
 * @param changesApplied           changes written to a replica, both replicas together
 * @param duplicatesSkipped        changes a replica already held (redelivered after a failover), both together
 * @param documentsCompared        source documents compared with a replica, both replicas together
 * @param replicasExact            both replicas equal the source, document by document
 * @param resurrections            from the replicas' independent write logs, both together
 * @param orderViolations          from the replicas' independent write logs, both together
 * @param relayFailoverMillis      kill of the leader relay to the first change published by its successor
 * @param replicatorFailoverMillis kill of a replicator to its partitions owned by the others (the slower of the two
 *                                 targets)
 * @param throughputPerSecond      changes made per second of the run, all in both replicas by its end
 * @param latency                  source write to replica write, milliseconds (creates, updates and replaces)
 * @param replicas                 each replica's detail
 * @param elapsedSeconds           the run, from the first source write to both replicas found exact
 */
public record ReplicationDemoReport(long changesCaptured, long changesPublished, long changesApplied,
                                    long duplicatesSkipped, long documentsCompared, boolean replicasExact,
                                    long resurrections, long orderViolations, long relayFailoverMillis,
                                    long replicatorFailoverMillis, double throughputPerSecond, Latency latency,
                                    List<Replica> replicas, long deadLettered, double elapsedSeconds) {

    public record Latency(double p50, double p99, double p999) {
    }

    /**
     * One replica: what its replicators counted, how it compares with the source, what its independent log shows.
     *
     * @param repeats    the same version written twice (a change applied twice)
     * @param unreadable writes its log could not read as a version (must be 0)
     * @param historyBehind ids whose last write its log had not read when the run ended (must be 0: a verdict over
     *                   part of the log proves nothing)
     * @param examples   the first few mismatches or violations, described
     */
    public record Replica(String name, long applied, long duplicates, long parked, long documentsCompared,
                          long differing, long historyWrites, long orderViolations, long resurrections, long repeats,
                          long unreadable, long historyBehind, long failoverMillis, List<String> examples) {

        boolean exact() {
            return differing == 0;
        }

        boolean held() {
            return exact() && orderViolations == 0 && resurrections == 0 && repeats == 0 && unreadable == 0
                && historyBehind == 0 && parked == 0 && historyWrites > 0;
        }
    }

    /** Both replicas exact, nothing back in time, nothing applied twice, parked or lost. */
    public boolean guaranteesHeld() {
        return replicasExact && replicas.stream().allMatch(Replica::held) && changesPublished >= changesCaptured
            && deadLettered == 0;
    }

    public String toJson() {
        return String.format(Locale.ROOT, "{\"changesCaptured\":%d,\"changesPublished\":%d,\"changesApplied\":%d,"
                + "\"duplicatesSkipped\":%d,\"documentsCompared\":%d,\"replicasExact\":%b,\"resurrections\":%d,"
                + "\"orderViolations\":%d,\"relayFailoverMillis\":%d,\"replicatorFailoverMillis\":%d,"
                + "\"throughputPerSecond\":%.1f,\"latencyMillis\":{\"p50\":%.1f,\"p99\":%.1f,\"p999\":%.1f},"
                + "\"guaranteesHeld\":%b,\"deadLettered\":%d,\"elapsedSeconds\":%.1f,\"replicas\":{%s}}",
            changesCaptured, changesPublished, changesApplied, duplicatesSkipped, documentsCompared, replicasExact,
            resurrections, orderViolations, relayFailoverMillis, replicatorFailoverMillis, throughputPerSecond,
            latency.p50(), latency.p99(), latency.p999(), guaranteesHeld(), deadLettered, elapsedSeconds,
            replicas.stream().map(ReplicationDemoReport::json).collect(Collectors.joining(",")));
    }

    private static String json(Replica r) {
        return String.format(Locale.ROOT, "%s:{\"applied\":%d,\"duplicates\":%d,\"parked\":%d,\"documentsCompared\":%d,"
                + "\"exact\":%b,\"differing\":%d,\"historyWrites\":%d,\"orderViolations\":%d,\"resurrections\":%d,"
                + "\"repeats\":%d,\"unreadable\":%d,\"historyBehind\":%d,\"replicatorFailoverMillis\":%d,"
                + "\"examples\":[%s]}",
            EventJson.quote(r.name()), r.applied(), r.duplicates(), r.parked(), r.documentsCompared(), r.exact(),
            r.differing(), r.historyWrites(), r.orderViolations(), r.resurrections(), r.repeats(), r.unreadable(),
            r.historyBehind(), r.failoverMillis(), r.examples().stream().map(EventJson::quote).collect(Collectors.joining(",")));
    }

    public String toText() {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, """
            Ferry demo report: replication (MongoDB source -> Kafka -> MongoDB and PostgreSQL replicas)
              changes captured:           %,d  (creates, updates, replaces, deletes, re-creates on the source)
              changes published:          %,d  (%,d again after a change of leader relay)
              changes applied:            %,d  (both replicas)
              duplicates skipped:         %,d  (redelivered changes a replica already held)
              documents compared:         %,d  (each source document once per replica)
              replicas exact:             %s
              order violations:           %d  (must be 0; from the replicas' independent write logs)
              resurrections:              %d  (must be 0; from the replicas' independent write logs)
              relay failover:             %,d ms  (leader killed: no lease release, producer not flushed)
              replicator failover:        %,d ms  (one replicator per target killed: no commit, no leave)
              throughput:                 %,.0f changes/s
              end-to-end latency:         p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms  (source write -> replica written)
            """, changesCaptured, changesPublished, Math.max(0, changesPublished - changesCaptured), changesApplied,
            duplicatesSkipped, documentsCompared, replicasExact ? "yes" : "NO", orderViolations, resurrections,
            relayFailoverMillis, replicatorFailoverMillis, throughputPerSecond, latency.p50(), latency.p99(),
            latency.p999()));
        for (Replica r : replicas) {
            text.append(String.format(Locale.ROOT,
                "  %-11s replica:        applied %,d, duplicates %,d, parked %d, exact %s (%,d compared), log: %,d "
                    + "writes, %d order violations, %d resurrections, %d repeats, %d unreadable%s%n",
                r.name(), r.applied(), r.duplicates(), r.parked(), r.exact() ? "yes" : "NO", r.documentsCompared(),
                r.historyWrites(), r.orderViolations(), r.resurrections(), r.repeats(), r.unreadable(),
                r.historyBehind() == 0 ? "" : String.format(Locale.ROOT, "; log FAILED: %,d ids' last writes not read",
                    r.historyBehind())));
            r.examples().forEach(example -> text.append("      ").append(example).append('\n'));
        }
        text.append(String.format(Locale.ROOT, "  elapsed:                    %.1f s%n  guarantees held:            %s%n",
            elapsedSeconds, guaranteesHeld() ? "yes" : "NO"));
        return text.toString();
    }
}
