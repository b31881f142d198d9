package dev.ferry.benchmark.replication;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

import dev.ferry.benchmark.pipeline.Spread;

/**
 * The catch-up scenario of one transport and document size over all its runs: {@code changes} changes (inserts,
 * updates, replaces, deletes, re-creates: {@link ChangeMix}) written while the relay is frozen, then released; the rate
 * each replica applies them at, beside the raw pipeline's ({@link dev.ferry.benchmark.raw} replication stages) on the
 * same changes in the same run, and what each process spent per change.
 *
 * @param transport      {@code kafka} or {@code nats}
 * @param documentBytes  the patient documents' size (Extended JSON)
 * @param seedPerSecond  the seed's figure for this transport and size (a quote from other hardware, not measured here)
 * @param idleCores      each process's cores with nothing written, on this transport's layout
 */
record CatchUpResult(String transport, int documentBytes, long changes, double seedPerSecond,
                     Map<String, Double> idleCores, List<Run> runs) {

    /** The replicas by their JSON names. */
    static final List<String> TARGETS = List.of("mongodb", "postgresql");

    /** What one process spent per change over a run's window, and its resident memory at the window's end. */
    record ProcessFigures(double cpuMicrosPerChange, double gcCpuMicrosPerChange, long rssMegabytes) {
    }

    /**
     * One run.
     *
     * @param replicaPerSecond      per replica: changes applied per second from the window's opening (the released
     *                              relay publishing again: 1 % handled) to the replica's last change
     * @param rawPipelinePerSecond  per replica: the raw pipeline's rate on the same changes, from its start
     * @param rawPipelineCpuMicrosPerChange the raw pipeline process's CPU (all its stages) per change
     * @param processes             per process, over the window (first to last replica done)
     * @param liveLeaderStepDowns   step-downs of a live leader logged during the window
     */
    record Run(Map<String, Double> replicaPerSecond, Map<String, Double> rawPipelinePerSecond,
               double rawPipelineCpuMicrosPerChange, Map<String, ProcessFigures> processes, long liveLeaderStepDowns) {

        double ratio(String target) {
            return replicaPerSecond.get(target) / rawPipelinePerSecond.get(target);
        }

        String toJson() {
            return String.format(Locale.ROOT, "{\"replicaPerSecond\":%s,\"rawPipelinePerSecond\":%s,"
                    + "\"ratioToRawPipeline\":%s,\"rawPipelineCpuMicrosPerChange\":%.1f,\"cpuMicrosPerChange\":%s,"
                    + "\"gcCpuMicrosPerChange\":%s,\"rssMegabytes\":%s,\"liveLeaderStepDowns\":%d}",
                numbers(replicaPerSecond), numbers(rawPipelinePerSecond), numbers(TARGETS.stream()
                    .collect(Collectors.toMap(t -> t, this::ratio, (a, b) -> a, LinkedHashMap::new))),
                rawPipelineCpuMicrosPerChange, numbers(perProcess(ProcessFigures::cpuMicrosPerChange)),
                numbers(perProcess(ProcessFigures::gcCpuMicrosPerChange)),
                numbers(perProcess(figures -> figures.rssMegabytes())), liveLeaderStepDowns);
        }

        private Map<String, Double> perProcess(ToDoubleFunction<ProcessFigures> figure) {
            Map<String, Double> values = new LinkedHashMap<>();
            processes.forEach((role, figures) -> values.put(role, figure.applyAsDouble(figures)));
            return values;
        }
    }

    Spread replica(String target) {
        return spread(run -> run.replicaPerSecond().get(target));
    }

    Spread raw(String target) {
        return spread(run -> run.rawPipelinePerSecond().get(target));
    }

    /** A replica's rate ÷ the raw pipeline's into the same kind of replica, in the run where it is lowest. */
    double worstRatio(String target) {
        return runs.stream().mapToDouble(run -> run.ratio(target)).min().orElse(Double.NaN);
    }

    /** Each process's median over the runs of one of its figures. */
    Map<String, Double> medianPerProcess(ToDoubleFunction<ProcessFigures> figure) {
        Map<String, Double> medians = new LinkedHashMap<>();
        runs.get(0).processes().keySet().forEach(role -> medians.put(role, spread(run -> {
            ProcessFigures figures = run.processes().get(role);
            return figures == null ? Double.NaN : figure.applyAsDouble(figures);
        }).median()));
        return medians;
    }

    /** Each process's largest resident memory over the runs. */
    Map<String, Double> maxRss() {
        Map<String, Double> max = new LinkedHashMap<>();
        runs.get(0).processes().keySet().forEach(role -> max.put(role, spread(run -> {
            ProcessFigures figures = run.processes().get(role);
            return figures == null ? Double.NaN : figures.rssMegabytes();
        }).max()));
        return max;
    }

    long liveLeaderStepDowns() {
        return runs.stream().mapToLong(Run::liveLeaderStepDowns).sum();
    }

    Spread spread(ToDoubleFunction<Run> figure) {
        return Spread.of(runs.stream().mapToDouble(figure).toArray());
    }

    String toJson() {
        Map<String, String> replica = new LinkedHashMap<>();
        Map<String, Double> replicaMin = new LinkedHashMap<>();
        Map<String, String> raw = new LinkedHashMap<>();
        Map<String, Double> rawMin = new LinkedHashMap<>();
        Map<String, Double> ratio = new LinkedHashMap<>();
        for (String target : TARGETS) {
            replica.put(target, ReplicationResult.json(replica(target)));
            replicaMin.put(target, replica(target).min());
            raw.put(target, ReplicationResult.json(raw(target)));
            rawMin.put(target, raw(target).min());
            ratio.put(target, worstRatio(target));
        }
        return String.format(Locale.ROOT, "{\"scenario\":\"catch-up\",\"transport\":\"%s\",\"documentBytes\":%d,"
                + "\"changes\":%d,\"runs\":%d,\"replicaPerSecond\":%s,\"replicaPerSecondMin\":%s,"
                + "\"rawPipelinePerSecond\":%s,\"rawPipelinePerSecondMin\":%s,\"ratioToRawPipeline\":%s,"
                + "\"seedPerSecond\":%.0f,\"cpuMicrosPerChange\":%s,\"gcCpuMicrosPerChange\":%s,"
                + "\"rawPipelineCpuMicrosPerChange\":%.1f,\"rssMegabytes\":%s,\"idleCores\":%s,"
                + "\"liveLeaderStepDowns\":%d,\"perRun\":[%s]}",
            transport, documentBytes, changes, runs.size(), objects(replica), numbers(replicaMin), objects(raw),
            numbers(rawMin), numbers(ratio), seedPerSecond, numbers(medianPerProcess(ProcessFigures::cpuMicrosPerChange)),
            numbers(medianPerProcess(ProcessFigures::gcCpuMicrosPerChange)),
            spread(Run::rawPipelineCpuMicrosPerChange).median(), numbers(maxRss()), numbers(idleCores),
            liveLeaderStepDowns(), runs.stream().map(Run::toJson).collect(Collectors.joining(",")));
    }

    static String numbers(Map<String, Double> values) {
        return values.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + number(e.getValue()))
            .collect(Collectors.joining(",", "{", "}"));
    }

    private static String objects(Map<String, String> values) {
        return values.entrySet().stream().map(e -> "\"" + e.getKey() + "\":" + e.getValue())
            .collect(Collectors.joining(",", "{", "}"));
    }

    static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "null";
        }
        return String.format(Locale.ROOT, Math.abs(value) < 10 ? "%.3f" : "%.1f", value);
    }
}
