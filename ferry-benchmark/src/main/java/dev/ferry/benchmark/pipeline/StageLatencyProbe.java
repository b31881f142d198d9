package dev.ferry.benchmark.pipeline;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import dev.ferry.config.FerryConfig;

/**
 * Where end-to-end latency goes, as far as it can be seen from outside Ferry: an observer of its own on the pipeline's
 * topic or stream ({@link PipelineTail}) reads every record and splits its age at the times the record carries.
 * <ul>
 *   <li>Kafka: {@code appendToSent} (the event store's {@code ce_time} to the record's create time, stamped by the
 *   relay's producer at {@code send()}: the change stream's delivery, the relay's reading, batching and encoding) and
 *   {@code sentToReadable} (to this observer's poll: the producer's linger, the broker's write and acknowledgement, the
 *   fetch);</li>
 *   <li>NATS: {@code appendToStored} (to the stream's timestamp of the message: all of the relay's part and the
 *   publish up to JetStream's store, which it acknowledges right after) and {@code storedToReadable} (to this
 *   observer's ordered consumer);</li>
 *   <li>both: {@code appendToReadable}, the sum, the record's age when any consumer could first have it.</li>
 * </ul>
 * Whatever the end-to-end figure has beyond {@code appendToReadable} is the projector's own part: its poll or fetch
 * wait, handling and the read-model write (not observable from outside: no record carries those times).
 */
final class StageLatencyProbe implements AutoCloseable {

    private final boolean nats;
    private final Map<String, Recorder> stages = new LinkedHashMap<>();
    private final PipelineTail tail;

    StageLatencyProbe(ProductionLayout layout) {
        nats = layout.transport() == FerryConfig.Transport.NATS;
        for (String stage : stageNames(nats)) {
            stages.put(stage, new Recorder(TimeUnit.MINUTES.toMillis(5), 3));
        }
        tail = PipelineTail.open(layout, "stage-latency-probe", Duration.ofMillis(50), this::note);
    }

    /** The stages a transport's records let the probe tell apart, in the order of the pipeline. */
    static String[] stageNames(boolean nats) {
        return nats ? new String[] {"appendToStored", "storedToReadable", "appendToReadable"}
            : new String[] {"appendToSent", "sentToReadable", "appendToReadable"};
    }

    private void note(TailedRecord record) {
        if (record.appendedAt() < 0) {
            return;
        }
        long published = record.publishedAt();
        stages.get(nats ? "appendToStored" : "appendToSent").recordValue(Math.max(0, published - record.appendedAt()));
        stages.get(nats ? "storedToReadable" : "sentToReadable").recordValue(Math.max(0, record.seenAt() - published));
        stages.get("appendToReadable").recordValue(Math.max(0, record.seenAt() - record.appendedAt()));
    }

    /** Starts a new measuring interval (drops what was recorded so far). */
    void reset() {
        stages.values().forEach(Recorder::getIntervalHistogram);
    }

    /** p50, p99, p99.9 of each stage since the last reset, in milliseconds; NaN for a stage that saw no record. */
    Map<String, double[]> percentiles() {
        Map<String, double[]> percentiles = new LinkedHashMap<>();
        stages.forEach((stage, recorder) -> {
            Histogram histogram = recorder.getIntervalHistogram();
            percentiles.put(stage, histogram.getTotalCount() == 0 ? new double[] {Double.NaN, Double.NaN, Double.NaN}
                : new double[] {histogram.getValueAtPercentile(50), histogram.getValueAtPercentile(99),
                    histogram.getValueAtPercentile(99.9)});
        });
        return percentiles;
    }

    /** A line for the progress output and the Markdown: each stage's p50 / p99. */
    static String describe(Map<String, double[]> stages) {
        return stages.entrySet().stream().map(e -> String.format(Locale.ROOT, "%s p50 %.0f / p99 %.0f ms", e.getKey(),
            e.getValue()[0], e.getValue()[1])).collect(Collectors.joining("; "));
    }

    @Override
    public void close() {
        tail.close();
    }
}
