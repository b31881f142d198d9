package dev.ferry.benchmark.pipeline;

import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The stream's latency over a copy benchmark's runs ({@link StreamProbe}), as JSON fields and a summary: each figure is
 * given as the median of the runs and the worst run (the highest).
 *
 * @param writesPerSecond the writer's rate
 * @param during          each run's latency during the copy, in run order
 * @param after           each run's latency after it
 */
public record StreamLatencies(int writesPerSecond, List<StreamLatency> during, List<StreamLatency> after) {

    public StreamLatencies {
        during = List.copyOf(during);
        after = List.copyOf(after);
    }

    public Spread duringCopy(ToDoubleFunction<StreamLatency> figure) {
        return spread(during, figure);
    }

    public Spread afterCopy(ToDoubleFunction<StreamLatency> figure) {
        return spread(after, figure);
    }

    public long writesDuringCopy() {
        return during.stream().mapToLong(StreamLatency::writes).sum();
    }

    public long writesRead() {
        return during.stream().mapToLong(StreamLatency::seen).sum();
    }

    /**
     * {@code "writesPerSecond", "streamLatencyMillis", "streamLatencyAfterCopyMillis"} (each {@code p50, p99, max} as
     * {@code {"median", "worst"}}), {@code "writesDuringCopy", "writesRead", "writesPerSecondDuringCopy"} (the rate
     * the writer kept, median), without braces.
     */
    public String jsonFields() {
        return String.format(Locale.ROOT, "\"writesPerSecond\":%d,\"streamLatencyMillis\":%s,"
                + "\"streamLatencyAfterCopyMillis\":%s,\"writesDuringCopy\":%d,\"writesRead\":%d,"
                + "\"writesPerSecondDuringCopy\":%.0f", writesPerSecond, percentiles(during), percentiles(after),
            writesDuringCopy(), writesRead(), duringCopy(StreamLatency::writesPerSecond).median());
    }

    /** One run's fields: {@code "writesDuringCopy", ..., "streamLatencyAfterCopyMillis"}, without braces. */
    public static String runJsonFields(StreamLatency during, StreamLatency after) {
        return String.format(Locale.ROOT, "\"writesDuringCopy\":%d,\"writesPerSecondDuringCopy\":%.0f,\"writesRead\":%d,"
                + "\"streamLatencyMillis\":%s,\"writesAfterCopy\":%d,\"streamLatencyAfterCopyMillis\":%s",
            during.writes(), during.writesPerSecond(), during.seen(), percentiles(during), after.writes(),
            percentiles(after));
    }

    /** The summary's part on the stream. */
    public String describe() {
        return String.format(Locale.ROOT, "the stream's latency during the copy (writer at %d/s, %.0f/s kept): p50 %.0f "
                + "ms median (worst run %.0f), p99 %.0f ms median (worst run %.0f), max %.0f ms (worst run); after the "
                + "copy, the same writer and relay: p50 %.0f ms, p99 %.0f ms median; %d of %d writes during the copy "
                + "read from the topic", writesPerSecond, duringCopy(StreamLatency::writesPerSecond).median(),
            duringCopy(StreamLatency::p50Millis).median(), duringCopy(StreamLatency::p50Millis).max(),
            duringCopy(StreamLatency::p99Millis).median(), duringCopy(StreamLatency::p99Millis).max(),
            duringCopy(StreamLatency::maxMillis).max(), afterCopy(StreamLatency::p50Millis).median(),
            afterCopy(StreamLatency::p99Millis).median(), writesRead(), writesDuringCopy());
    }

    private static String percentiles(List<StreamLatency> runs) {
        return String.format(Locale.ROOT, "{\"p50\":%s,\"p99\":%s,\"max\":%s}",
            medianAndWorst(spread(runs, StreamLatency::p50Millis)), medianAndWorst(spread(runs, StreamLatency::p99Millis)),
            medianAndWorst(spread(runs, StreamLatency::maxMillis)));
    }

    private static String percentiles(StreamLatency latency) {
        return String.format(Locale.ROOT, "{\"p50\":%s,\"p99\":%s,\"max\":%s}", number(latency.p50Millis()),
            number(latency.p99Millis()), number(latency.maxMillis()));
    }

    private static Spread spread(List<StreamLatency> runs, ToDoubleFunction<StreamLatency> figure) {
        return Spread.of(runs.stream().mapToDouble(figure).filter(value -> !Double.isNaN(value)).toArray());
    }

    private static String medianAndWorst(Spread spread) {
        return String.format(Locale.ROOT, "{\"median\":%s,\"worst\":%s}", number(spread.median()), number(spread.max()));
    }

    /** Milliseconds to one decimal; null where no write was read (NaN). */
    private static String number(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.1f", value);
    }
}
