package dev.ferry.benchmark.pipeline;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A catch-up (a backlog in the event store to a complete read model) at one payload size, run several times.
 *
 * @param transport        {@code kafka} or {@code nats}: what Ferry's relay and projector ran on
 * @param coldJvmPerSecond Ferry's rate in the first round, its relay and projector just started (JIT still compiling)
 */
public record CatchUpResult(String transport, int payloadBytes, int events, List<Run> runs, double coldJvmPerSecond)
    implements BenchmarkResult {

    /** The processes whose cost is reported, in the JSON's order. */
    static final List<String> PROCESSES = List.of("relay", "projector", "stack");
    /** On NATS, the broker's process after them: Kafka runs in the stack's, nats-server in one of its own. */
    static final String NATS_SERVER = "nats-server";

    /**
     * One run: Ferry's rate and cost, and in the same run the raw stages' and the raw pipeline's.
     *
     * @param raw rate of each raw stage: change-stream, kafka, bulk-write, pipeline; on NATS also jetstream (publish
     *            then consume), jetstream-publish and jetstream-consume
     * @param cost Ferry's processes' cost: relay, projector, stack
     * @param rawPipelineCpuMicrosPerEvent all the raw pipeline process's CPU per event
     * @param rawPipelineWritesPerEvent the raw pipeline's upserts per event: each key's records of a poll are folded
     *                                  into one, as Ferry's projector folds an aggregate's run (NaN when not run)
     * @param liveLeaderStepDowns step-downs a live leader logged over the measured window ({@link
     *                            dev.ferry.benchmark.process.LeaderStepDowns}): from 1 % of the backlog applied, after
     *                            the released relay's own step-down for having been frozen
     */
    public record Run(double ferryPerSecond, Map<String, Double> raw, Map<String, ProcessCost> cost,
                      double rawPipelineCpuMicrosPerEvent, double rawPipelineWritesPerEvent, long liveLeaderStepDowns) {

        /** The stages on Ferry's path: the change stream, the broker Ferry ran on, the read-model write. */
        private List<String> pathStages() {
            return List.of("change-stream", raw.containsKey("jetstream") ? "jetstream" : "kafka", "bulk-write");
        }

        double slowestStage() {
            return pathStages().stream().mapToDouble(raw::get).min().orElse(Double.NaN);
        }

        /** The slowest stage as the JSON has always named it. */
        String slowestStageName() {
            String stage = pathStages().stream().min((a, b) -> Double.compare(raw.get(a), raw.get(b))).orElseThrow();
            return switch (stage) {
                case "change-stream" -> "raw change stream";
                case "kafka" -> "raw Kafka produce->consume";
                case "jetstream" -> "raw JetStream publish->consume";
                default -> "raw read-model bulk write";
            };
        }

        double ratioToRawPipeline() {
            return ferryPerSecond / raw.get("pipeline");
        }

        double ratioToRawJetStream() {
            return ferryPerSecond / raw.get("jetstream");
        }
    }

    @Override
    public String scenario() {
        return "catch-up";
    }

    Spread ferry() {
        return spread(Run::ferryPerSecond);
    }

    Spread rawPipeline() {
        return spread(run -> run.raw().get("pipeline"));
    }

    /** A raw stage's rate over the runs, e.g. jetstream (on NATS only). */
    Spread raw(String stage) {
        return spread(run -> run.raw().get(stage));
    }

    /** The worst run's Ferry ÷ raw JetStream. */
    double worstRatioToRawJetStream() {
        return runs.stream().mapToDouble(Run::ratioToRawJetStream).min().orElse(Double.NaN);
    }

    /** The processes whose cost this result reports, in the JSON's order. */
    List<String> processes() {
        return onNats() ? Stream.concat(PROCESSES.stream(), Stream.of(NATS_SERVER)).toList() : PROCESSES;
    }

    boolean onNats() {
        return transport.equals("nats");
    }

    Spread slowestStage() {
        return spread(Run::slowestStage);
    }

    /** The worst run's Ferry ÷ raw pipeline: a target counts only if the worst run meets it. */
    double worstRatioToRawPipeline() {
        return runs.stream().mapToDouble(Run::ratioToRawPipeline).min().orElse(Double.NaN);
    }

    /** Step-downs of a live leader over all the runs. */
    long liveLeaderStepDowns() {
        return runs.stream().mapToLong(Run::liveLeaderStepDowns).sum();
    }

    Spread cost(String process, ToDoubleFunction<ProcessCost> figure) {
        return spread(run -> figure.applyAsDouble(run.cost().get(process)));
    }

    private Spread spread(ToDoubleFunction<Run> figure) {
        return Spread.of(runs.stream().mapToDouble(figure).toArray());
    }

    @Override
    public String toJson() {
        Spread ferry = ferry();
        Spread slowest = slowestStage();
        Run median = runs.stream().min((a, b) -> Double.compare(Math.abs(a.ferryPerSecond() - ferry.median()),
            Math.abs(b.ferryPerSecond() - ferry.median()))).orElseThrow();
        return String.format(Locale.ROOT, "{\"scenario\":\"catch-up\",\"transport\":\"%s\",\"payloadBytes\":%d,\"events\":%d,"
                + "\"ferryPerSecond\":%.1f,\"ferryPerSecondMin\":%.1f,\"ferryPerSecondMax\":%.1f,\"runs\":%d,"
                + "\"ferryPerSecondRuns\":%s,\"baselinePerSecond\":%.1f,\"slowestBaseline\":\"%s\",\"ratio\":%.3f,"
                + "\"rawPipelinePerSecond\":%.1f,\"rawPipelinePerSecondMin\":%.1f,\"ratioToRawPipeline\":%.3f,"
                + "\"coldJvmPerSecond\":%s,\"rawStagesPerSecond\":%s,\"cpuMicrosPerEvent\":%s,"
                + "\"rawPipelineCpuMicrosPerEvent\":%.1f,\"rawPipelineWritesPerEvent\":%s,\"liveLeaderStepDowns\":%d,"
                + "\"processes\":%s%s}",
            transport, payloadBytes, events, ferry.median(), ferry.min(), ferry.max(), runs.size(),
            runs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.ferryPerSecond())).collect(Collectors.joining(",", "[", "]")),
            slowest.median(), median.slowestStageName(), ferry.median() / slowest.median(), rawPipeline().median(),
            rawPipeline().min(), worstRatioToRawPipeline(), ProcessCost.number(coldJvmPerSecond),
            median.raw().entrySet().stream().map(e -> String.format(Locale.ROOT, "\"%s\":%.1f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(",", "{", "}")),
            processes().stream().map(p -> String.format(Locale.ROOT, "\"%s\":%.1f", p,
                cost(p, ProcessCost::cpuMicrosPerEvent).median())).collect(Collectors.joining(",", "{", "}")),
            Spread.of(runs.stream().mapToDouble(Run::rawPipelineCpuMicrosPerEvent).toArray()).median(),
            writesPerEvent(),
            liveLeaderStepDowns(),
            processes().stream().map(p -> "\"" + p + "\":" + median.cost().get(p).toJson())
                .collect(Collectors.joining(",", "{", "}")), onNats() ? jetStreamJson() : "");
    }

    /** The raw pipeline's upserts per event over the runs. */
    Spread rawPipelineWrites() {
        return spread(Run::rawPipelineWritesPerEvent);
    }

    /** The raw pipeline's upserts per event, median of the runs; null where it did not run. */
    private String writesPerEvent() {
        double median = rawPipelineWrites().median();
        return Double.isNaN(median) ? "null" : String.format(Locale.ROOT, "%.3f", median);
    }

    /** Beside Ferry's rate on NATS: the raw JetStream publish-then-consume of the same size, in the same run. */
    private String jetStreamJson() {
        Spread jetStream = raw("jetstream");
        return String.format(Locale.ROOT, ",\"rawJetStreamPerSecond\":%.1f,\"rawJetStreamPerSecondMin\":%.1f,"
                + "\"rawJetStreamPublishPerSecond\":%.1f,\"rawJetStreamConsumePerSecond\":%.1f,"
                + "\"ratioToRawJetStream\":%.3f", jetStream.median(), jetStream.min(),
            raw("jetstream-publish").median(), raw("jetstream-consume").median(), worstRatioToRawJetStream());
    }
}
