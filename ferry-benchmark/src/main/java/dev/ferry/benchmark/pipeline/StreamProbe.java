package dev.ferry.benchmark.pipeline;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The stream's latency while a relay copies, measured from outside it: a {@link ProbeWriter} writes the copied
 * source at a fixed rate, each write carrying a number ({@code probe}), and a consumer of the topic (every partition
 * assigned, no group) notes when the first record carrying each number is read, in the benchmark's process (one clock).
 * The topic is made before the relay runs, as Ferry makes it, so that it is read from its first record on.
 * <p>
 * The latency during the copy counts the writes sent from the relay's first record (or the copy's first checkpoint, if
 * later) to the checkpoint marking the copy complete: a write sent before the relay published anything waited for its
 * term to start (takeover, the producer's first send), which the copy has no part in. The writer goes on for
 * {@link #AFTER_COPY} after the copy, on the same relay: the contrast.
 */
final class StreamProbe implements AutoCloseable {

    /** How long the writer goes on once the copy is complete. */
    static final Duration AFTER_COPY = Duration.ofSeconds(5);
    /**
     * The first probe number in a record's value: a plain JSON number (an event's payload, were it carried as an
     * escaped string too) or an Int64 (a document, canonical Extended JSON).
     */
    private static final Pattern PROBE = Pattern.compile("\\\\?\"" + ProbeWriter.PROBE
        + "\\\\?\"\\s*:\\s*(?:\\{\\s*\"\\$numberLong\"\\s*:\\s*)?\"?(\\d+)");
    /** After the writer stops, a record not read within this of the last one read is taken as never coming. */
    private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(3);

    /**
     * What the probe measured in one run.
     *
     * @param liveSecondsIntoCopy when the window of {@code during} opened, from the copy's first checkpoint
     */
    record Result(StreamLatency during, StreamLatency after, double liveSecondsIntoCopy) {

        /** One line of a run's progress. */
        String describe() {
            return String.format(Locale.ROOT, "the stream meanwhile (from %.1f s into the copy, its first record): %,d "
                    + "writes (%.0f/s), %,d read from the topic, latency p50 %.0f ms, p99 %.0f ms, max %.0f ms (in the "
                    + "%d s after the copy: p50 %.0f ms, p99 %.0f ms, max %.0f ms)", liveSecondsIntoCopy, during.writes(),
                during.writesPerSecond(), during.seen(), during.p50Millis(), during.p99Millis(), during.maxMillis(),
                AFTER_COPY.toSeconds(), after.p50Millis(), after.p99Millis(), after.maxMillis());
        }
    }

    private final Map<Long, Long> seenAt = new ConcurrentHashMap<>();
    private final AtomicReference<Long> firstRecordAt = new AtomicReference<>();
    private final TopicTail tail;
    private final ProbeWriter writer;

    /**
     * Makes {@code topic} (compacted or not, the layout's partitions) and reads it from its end; {@code write} is the
     * write of one probe number, called at {@code perSecond} once {@link #startWriting()}.
     */
    StreamProbe(String bootstrapServers, String topic, boolean compacted, LongConsumer write, int perSecond)
        throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(Set.of(new NewTopic(topic, ProductionLayout.PARTITIONS, (short) 1).configs(compacted
                ? Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT) : Map.of())))
                .all().get(60, TimeUnit.SECONDS);
        }
        tail = TopicTail.fromEndWithoutGroup(bootstrapServers, topic, "copy-stream-tail", Duration.ofMillis(100),
            record -> {
                long now = System.nanoTime();
                firstRecordAt.compareAndSet(null, now);
                probe(record.value()).ifPresent(probe -> seenAt.putIfAbsent(probe, now));
            });
        writer = new ProbeWriter(write, perSecond);
    }

    void startWriting() {
        writer.start();
    }

    /**
     * Once the copy is complete: writes for {@link #AFTER_COPY} more, stops, waits for the records, and writes every
     * write's latency to {@code timeline} (CSV).
     *
     * @param started the copy's first checkpoint ({@link System#nanoTime()})
     * @param ended   the checkpoint marking it complete
     */
    Result finish(long started, long ended, Path timeline) throws IOException {
        long afterCopy = ended + AFTER_COPY.toNanos();
        while (System.nanoTime() - afterCopy < 0) {
            LockSupport.parkNanos(afterCopy - System.nanoTime());
        }
        writer.close();
        awaitRecords();
        long live = firstRecordAt.get() == null ? ended : firstRecordAt.get();
        long from = live - started > 0 ? live : started;
        writeTimeline(timeline, started, from, ended);
        return new Result(StreamLatency.of(writer, seenAt, from, ended), StreamLatency.of(writer, seenAt, ended,
            afterCopy), (from - started) / 1e9);
    }

    /** Waits until every write's record was read, or none came for a while (the rest will not: see StreamLatency). */
    private void awaitRecords() {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        int seen = -1;
        long quietSince = System.nanoTime();
        while (System.nanoTime() - deadline < 0 && System.nanoTime() - quietSince < QUIET_NANOS) {
            int now = seenAt.size();
            if (now != seen) {
                seen = now;
                quietSince = System.nanoTime();
            }
            if (now >= writer.written()) {
                return;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /**
     * Every write's latency by when it was sent, for a look at where in the copy the slow ones were: seconds from the
     * copy's first checkpoint (negative: before it), whether it counts (sent from {@code from} to the copy's end),
     * milliseconds to its record (empty: never read).
     */
    private void writeTimeline(Path file, long started, long from, long ended) throws IOException {
        StringBuilder csv = new StringBuilder("probe,secondsIntoCopy,counted,latencyMillis\n");
        for (long probe = 1; probe <= writer.written(); probe++) {
            OptionalLong sent = writer.sentAt(probe);
            if (sent.isEmpty()) {
                continue;
            }
            Long seen = seenAt.get(probe);
            csv.append(String.format(Locale.ROOT, "%d,%.3f,%s,%s%n", probe, (sent.getAsLong() - started) / 1e9,
                sent.getAsLong() - from >= 0 && sent.getAsLong() - ended <= 0,
                seen == null ? "" : String.format(Locale.ROOT, "%.1f", (seen - sent.getAsLong()) / 1e6)));
        }
        Files.writeString(file, csv);
    }

    /** The probe number of a record's value; empty for a record without one, or with 0 (a stored document's). */
    static OptionalLong probe(byte[] value) {
        if (value == null) {
            return OptionalLong.empty();
        }
        Matcher matcher = PROBE.matcher(new String(value, StandardCharsets.UTF_8));
        if (!matcher.find()) {
            return OptionalLong.empty();
        }
        long probe = Long.parseLong(matcher.group(1));
        return probe > 0 ? OptionalLong.of(probe) : OptionalLong.empty();
    }

    @Override
    public void close() {
        try {
            writer.close();
        } finally {
            tail.close();
        }
    }
}
