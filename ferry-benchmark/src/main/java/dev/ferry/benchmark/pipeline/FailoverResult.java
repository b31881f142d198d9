package dev.ferry.benchmark.pipeline;

import java.util.List;
import java.util.Locale;

/**
 * Relay failovers under load: kill -9 of the leader, time to the first broker-acknowledged record of the new epoch,
 * with where the time went; then a successor's catch-up over a backlog appended while no relay ran.
 *
 * @param transport             {@code kafka} or {@code nats}: what the relays published to
 * @param kills                 one entry per kill
 * @param backlogEvents         the backlog
 * @param successorStartSeconds process start to "instance started"
 * @param successorPerSecond    the successor's rate from its first published event to the backlog's last
 * @param successorPerSecondWithStart the same from its process start
 * @param liveLeaderStepDowns   step-downs a live leader logged over the whole scenario ({@link
 *                              dev.ferry.benchmark.process.LeaderStepDowns}); the kills are none (a killed process logs
 *                              nothing)
 */
public record FailoverResult(String transport, List<Kill> kills, int rate, long backlogEvents, double successorStartSeconds,
                             double successorPerSecond, double successorPerSecondWithStart, long liveLeaderStepDowns)
    implements BenchmarkResult {

    /**
     * One kill's times from the kill -9, in ms.
     *
     * @param leaseTakenMillis the lease document showed the new epoch (the TTL, the standby's check, its write)
     * @param firstSendMillis  the first record of the new epoch was created by the new leader's producer (Kafka's
     *                         record create time); NaN on NATS, whose messages carry no publish time
     * @param firstStoredMillis the stream stored that record (JetStream's message timestamp; the publish is
     *                          acknowledged right after); NaN on Kafka
     * @param ackedMillis      that record was readable from the broker: acknowledged
     */
    public record Kill(double leaseTakenMillis, double firstSendMillis, double firstStoredMillis, double ackedMillis) {
    }

    @Override
    public String scenario() {
        return "failover";
    }

    double[] acked() {
        return kills.stream().mapToDouble(Kill::ackedMillis).toArray();
    }

    @Override
    public String toJson() {
        double[] acked = acked();
        double[] lease = kills.stream().mapToDouble(Kill::leaseTakenMillis).toArray();
        double[] send = kills.stream().mapToDouble(Kill::firstSendMillis).toArray();
        double[] stored = kills.stream().mapToDouble(Kill::firstStoredMillis).toArray();
        return String.format(Locale.ROOT, "{\"scenario\":\"failover\",\"transport\":\"%s\",\"kills\":%d,\"rate\":%d,\"p50Millis\":%.0f,"
                + "\"p99Millis\":%.0f,\"maxMillis\":%.0f,\"leaseTakenMillis\":%s,\"firstSendMillis\":%s,"
                + "\"backlogEvents\":%d,\"successorStartSeconds\":%.2f,\"successorCatchUpPerSecond\":%.1f,"
                + "\"successorCatchUpPerSecondWithStart\":%.1f,\"liveLeaderStepDowns\":%d%s}",
            transport, kills.size(), rate, Spread.percentile(acked, 50), Spread.percentile(acked, 99), Spread.percentile(acked, 100),
            percentiles(lease), percentiles(send), backlogEvents, successorStartSeconds, successorPerSecond,
            successorPerSecondWithStart, liveLeaderStepDowns,
            observed(stored) ? ",\"firstStoredMillis\":" + percentiles(stored) : "");
    }

    /** Whether a time was observed at every kill (a transport gives it or not). */
    private static boolean observed(double[] values) {
        return values.length > 0 && java.util.Arrays.stream(values).noneMatch(Double::isNaN);
    }

    /** p50, p99, max of the kills; null where the transport gives no such time. */
    static String percentiles(double[] values) {
        if (!observed(values)) {
            return "null";
        }
        return String.format(Locale.ROOT, "{\"p50\":%.0f,\"p99\":%.0f,\"max\":%.0f}", Spread.percentile(values, 50),
            Spread.percentile(values, 99), Spread.percentile(values, 100));
    }
}
