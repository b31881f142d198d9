package dev.ferry.benchmark.pipeline;

import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The layout standing by: nothing appended for {@code seconds}, each process's CPU over that window in cores (the
 * relay, the projector, the embedded stack; on NATS the nats-server too).
 *
 * @param transport           {@code kafka} or {@code nats}: what the relay and the projector ran on
 * @param liveLeaderStepDowns step-downs a live leader logged during the window
 */
public record IdleResult(String transport, long seconds, Map<String, Double> cores, long liveLeaderStepDowns) implements BenchmarkResult {

    @Override
    public String scenario() {
        return "idle";
    }

    String describe() {
        return cores.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s %.3f", e.getKey(), e.getValue()))
            .collect(Collectors.joining(", "));
    }

    @Override
    public String toJson() {
        return String.format(Locale.ROOT, "{\"scenario\":\"idle\",\"transport\":\"%s\",\"seconds\":%d,\"cores\":{%s},\"liveLeaderStepDowns\":%d}",
            transport, seconds, cores.entrySet().stream().map(e -> String.format(Locale.ROOT, "\"%s\":%.3f", e.getKey(),
                e.getValue())).collect(Collectors.joining(",")), liveLeaderStepDowns);
    }
}
