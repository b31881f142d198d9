package dev.ferry.benchmark.pipeline;

import java.util.Arrays;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The stream's latency while a copy runs: from each write the {@link ProbeWriter} issued during the copy to the first
 * record on the topic that carries it, read by an outside consumer. A write whose record was never seen carrying it is
 * counted in {@code writes} but not {@code seen}: its change's update lookup had already read a later write of the
 * same document, so its record carries that one's number (the later write's latency is measured instead).
 *
 * @param writes the writes issued during the copy, from the first record the relay published (or the copy's first
 *               checkpoint, if later) to the checkpoint marking the copy complete
 * @param seconds the window's length
 * @param seen   those whose record was read from the topic
 * @param p50Millis p50 over the seen writes; NaN when none was seen (so are the others)
 */
public record StreamLatency(long writes, double seconds, long seen, double p50Millis, double p99Millis,
                            double maxMillis) {

    /**
     * The writes' rate in the window: below the writer's when its writes took longer than their period (the embedded
     * MongoDB answers one operation at a time, the copy's reads among them).
     */
    public double writesPerSecond() {
        return seconds > 0 ? writes / seconds : Double.NaN;
    }

    /**
     * @param seenAt when the first record carrying each write's number was read ({@link System#nanoTime()})
     * @param from   when the window opens ({@link System#nanoTime()})
     * @param to     the checkpoint marking it complete
     */
    static StreamLatency of(ProbeWriter writer, Map<Long, Long> seenAt, long from, long to) {
        long writes = 0;
        double[] millis = new double[(int) writer.written()];
        int seen = 0;
        for (long probe = 1; probe <= writer.written(); probe++) {
            OptionalLong issued = writer.sentAt(probe);
            if (issued.isEmpty() || issued.getAsLong() - from < 0 || issued.getAsLong() - to > 0) {
                continue;
            }
            writes++;
            Long at = seenAt.get(probe);
            if (at != null) {
                millis[seen++] = (at - issued.getAsLong()) / 1e6;
            }
        }
        double[] latencies = Arrays.copyOf(millis, seen);
        return new StreamLatency(writes, (to - from) / 1e9, seen, Spread.percentile(latencies, 50), Spread.percentile(latencies, 99),
            Spread.percentile(latencies, 100));
    }
}
