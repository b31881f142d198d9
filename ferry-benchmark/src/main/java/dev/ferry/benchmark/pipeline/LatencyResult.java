package dev.ferry.benchmark.pipeline;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Steady-state end-to-end latency (append to read model written) at one requested rate, run several times, beside
 * raw Kafka's and the raw change stream's at the same rate. A rate counts only if every run's load reached it.
 *
 * @param transport {@code kafka} or {@code nats}: what Ferry's relay and projector ran on
 */
public record LatencyResult(String transport, int rate, List<Run> runs) implements BenchmarkResult {

    /** Whether the load generator reached the requested rate: within this share of it. */
    static final double REACHED = 0.95;

    /**
     * @param ferry      p50, p99, p99.9 in ms
     * @param rawJetStream p50, p99, p99.9 in ms of a raw JetStream publish with ack to a pull consumer, on NATS;
     *                     else null
     * @param stages     where Ferry's time went, as far as the records show it ({@link StageLatencyProbe}): each
     *                   stage's p50, p99, p99.9 in ms, in the pipeline's order
     * @param liveLeaderStepDowns step-downs a live leader logged from the warm-up's start to the last event applied
     *                            ({@link dev.ferry.benchmark.process.LeaderStepDowns})
     */
    public record Run(long events, double achievedPerSecond, double[] ferry, double[] rawKafka, double[] rawChangeStream,
                      double[] rawJetStream, Map<String, double[]> stages, long liveLeaderStepDowns) {
    }

    /** Step-downs of a live leader over all the runs. */
    long liveLeaderStepDowns() {
        return runs.stream().mapToLong(Run::liveLeaderStepDowns).sum();
    }

    @Override
    public String scenario() {
        return "steady-state latency";
    }

    Run medianRun() {
        List<Run> byP99 = runs.stream().sorted(Comparator.comparingDouble(run -> run.ferry()[1])).toList();
        return byP99.get((byP99.size() - 1) / 2);
    }

    Run worstRun() {
        return runs.stream().max(Comparator.comparingDouble(run -> run.ferry()[1])).orElseThrow();
    }

    double achievedMin() {
        return runs.stream().mapToDouble(Run::achievedPerSecond).min().orElse(0);
    }

    boolean reached() {
        return achievedMin() >= rate * REACHED;
    }

    @Override
    public String toJson() {
        Run median = medianRun();
        return String.format(Locale.ROOT, "{\"scenario\":\"steady-state latency\",\"transport\":\"%s\",\"payloadBytes\":300,\"events\":%d,"
                + "\"ferryPerSecond\":%.1f,\"baselinePerSecond\":%d,\"slowestBaseline\":\"requested rate\",\"ratio\":%.3f,"
                + "\"rate\":%d,\"achievedPerSecond\":%.1f,\"achievedPerSecondMedian\":%.1f,\"rateReached\":%s,\"runs\":%d,"
                + "\"latencyMillis\":%s,\"latencyMillisWorst\":%s,\"rawKafkaLatencyMillis\":%s,"
                + "\"rawChangeStreamLatencyMillis\":%s,\"stageLatencyMillis\":%s,\"stageLatencyMillisWorst\":%s,"
                + "\"liveLeaderStepDowns\":%d%s}",
            transport, median.events(), median.achievedPerSecond(), rate, median.achievedPerSecond() / rate, rate, achievedMin(),
            Spread.of(runs.stream().mapToDouble(Run::achievedPerSecond).toArray()).median(), reached(), runs.size(),
            latency(median.ferry()), latency(worstRun().ferry()), latency(median.rawKafka()),
            latency(median.rawChangeStream()), stages(median), stages(worstRun()), liveLeaderStepDowns(),
            median.rawJetStream() == null ? "" : ",\"rawJetStreamLatencyMillis\":" + latency(median.rawJetStream()));
    }

    /** A run's stages as a JSON object, each with p50, p99, p999. */
    private static String stages(Run run) {
        return run.stages().entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + latency(e.getValue()))
            .collect(Collectors.joining(",", "{", "}"));
    }

    static String latency(double[] values) {
        return "{\"p50\":" + number(values[0]) + ",\"p99\":" + number(values[1]) + ",\"p999\":" + number(values[2]) + "}";
    }

    /** A figure with two decimals, or null where there was nothing to measure. */
    private static String number(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.2f", value);
    }
}
