package dev.ferry.benchmark.pipeline;

import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * {@code ferry bench copy --kind entities}: its runs, as the JSON line documented in docs/measured.md and a summary
 * line. Each figure is given as the median of the runs and the worst run (the highest latency, the lowest rate).
 *
 * @param leaseTtlMillis  the copying relay's lease TTL
 * @param leaseTtlDefault whether that is the relay's default (no {@code --lease-ttl})
 */
public record EntityCopyResult(int documents, int writesPerSecond, long leaseTtlMillis, boolean leaseTtlDefault,
                               List<EntityCopyRate.Run> runs, long elapsedSeconds) {

    public Spread copyPerSecond() {
        return spread(EntityCopyRate.Run::perSecond);
    }

    public Spread latencyP50() {
        return spread(run -> run.latency().p50Millis());
    }

    public Spread latencyP99() {
        return spread(run -> run.latency().p99Millis());
    }

    public Spread latencyMax() {
        return spread(run -> run.latency().maxMillis());
    }

    /** The writes' rate the writer kept during the copy (it falls short when its writes are slower than its period). */
    public Spread writesPerSecondDuringCopy() {
        return spread(run -> run.latency().writesPerSecond());
    }

    public long liveLeaderStepDowns() {
        return runs.stream().mapToLong(EntityCopyRate.Run::liveLeaderStepDowns).sum();
    }

    private Spread spread(ToDoubleFunction<EntityCopyRate.Run> figure) {
        return Spread.of(runs.stream().mapToDouble(figure).filter(value -> !Double.isNaN(value)).toArray());
    }

    public String toJson() {
        String perRun = runs.stream().map(run -> String.format(Locale.ROOT, "{\"copyPerSecond\":%.0f,\"copiedDocuments\""
                + ":%d,\"writesDuringCopy\":%d,\"writesPerSecondDuringCopy\":%.0f,\"writesRead\":%d,"
                + "\"streamLatencyMillis\":%s,\"writesAfterCopy\":%d,\"streamLatencyAfterCopyMillis\":%s,"
                + "\"liveLeaderStepDowns\":%d}",
                run.perSecond(), run.copied(), run.latency().writes(), run.latency().writesPerSecond(),
                run.latency().seen(), percentiles(run.latency()), run.afterCopy().writes(), percentiles(run.afterCopy()),
                run.liveLeaderStepDowns()))
            .collect(Collectors.joining(",", "[", "]"));
        return String.format(Locale.ROOT, "{\"scenario\":\"copy\",\"kind\":\"entities\",\"documents\":%d,\"runs\":%d,"
                + "\"writesPerSecond\":%d,\"copyPerSecond\":%.0f,\"copyPerSecondMin\":%.0f,\"copyPerSecondMax\":%.0f,"
                + "\"streamLatencyMillis\":{\"p50\":%s,\"p99\":%s,\"max\":%s},"
                + "\"streamLatencyAfterCopyMillis\":{\"p50\":%s,\"p99\":%s,\"max\":%s},\"writesDuringCopy\":%d,\"writesRead\":%d,"
                + "\"writesPerSecondDuringCopy\":%.0f,\"leaseTtlMillis\":%d,\"leaseTtlDefault\":%s,\"liveLeaderStepDowns\":%d,"
                + "\"liveLeaderStepDownsPerRun\":%s,\"perRun\":%s,\"elapsedSeconds\":%d}", documents, runs.size(),
            writesPerSecond, copyPerSecond().median(), copyPerSecond().min(), copyPerSecond().max(),
            medianAndWorst(latencyP50()), medianAndWorst(latencyP99()), medianAndWorst(latencyMax()),
            medianAndWorst(spread(run -> run.afterCopy().p50Millis())),
            medianAndWorst(spread(run -> run.afterCopy().p99Millis())),
            medianAndWorst(spread(run -> run.afterCopy().maxMillis())),
            runs.stream().mapToLong(run -> run.latency().writes()).sum(),
            runs.stream().mapToLong(run -> run.latency().seen()).sum(), writesPerSecondDuringCopy().median(),
            leaseTtlMillis, leaseTtlDefault,
            liveLeaderStepDowns(), runs.stream().map(run -> Long.toString(run.liveLeaderStepDowns()))
                .collect(Collectors.joining(",", "[", "]")), perRun, elapsedSeconds);
    }

    /** The human summary: rate, latency and step-downs, median and worst run. */
    public void printSummary(PrintWriter out) {
        out.printf(Locale.ROOT, "entity copy (by watermarks, alongside the stream), %,d documents, %d runs: %,.0f "
                + "documents/s median (%,.0f–%,.0f); the stream's latency during the copy (writer at %d/s, %.0f/s kept): p50 %.0f ms "
                + "median (worst run %.0f), p99 %.0f ms median (worst run %.0f), max %.0f ms (worst run); after the "
                + "copy, the same writer and relay: p50 %.0f ms, p99 %.0f ms median; %d of %d writes during the copy "
                + "read from the topic; the copying relay stepped down %d times while alive%n", documents,
            runs.size(), copyPerSecond().median(), copyPerSecond().min(), copyPerSecond().max(), writesPerSecond,
            writesPerSecondDuringCopy().median(),
            latencyP50().median(), latencyP50().max(), latencyP99().median(), latencyP99().max(), latencyMax().max(),
            spread(run -> run.afterCopy().p50Millis()).median(), spread(run -> run.afterCopy().p99Millis()).median(),
            runs.stream().mapToLong(run -> run.latency().seen()).sum(),
            runs.stream().mapToLong(run -> run.latency().writes()).sum(), liveLeaderStepDowns());
    }

    private static String medianAndWorst(Spread spread) {
        return String.format(Locale.ROOT, "{\"median\":%s,\"worst\":%s}", number(spread.median()), number(spread.max()));
    }

    private static String percentiles(StreamLatency latency) {
        return String.format(Locale.ROOT, "{\"p50\":%s,\"p99\":%s,\"max\":%s}", number(latency.p50Millis()),
            number(latency.p99Millis()), number(latency.maxMillis()));
    }

    /** Milliseconds to one decimal; null where no write was read (NaN). */
    private static String number(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.1f", value);
    }
}
