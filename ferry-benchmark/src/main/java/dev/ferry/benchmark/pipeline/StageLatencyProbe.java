package dev.ferry.benchmark.pipeline;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.HdrHistogram.Recorder;
import org.apache.kafka.clients.consumer.ConsumerRecord;

import dev.ferry.core.event.Event;
import dev.ferry.engine.wire.EventJsonDecoder;

/**
 * Where end-to-end latency goes: a second consumer group on the pipeline's topic reads every record and splits
 * its age into append to relay send (the record's create time, set by the relay's producer) and relay send to
 * consumed. Whatever the end-to-end figure has beyond both is the projector's own part (handler and write).
 */
final class StageLatencyProbe implements AutoCloseable {

    private final Recorder appendToSend = new Recorder(TimeUnit.MINUTES.toMillis(5), 3);
    private final Recorder sendToConsumed = new Recorder(TimeUnit.MINUTES.toMillis(5), 3);
    private final EventJsonDecoder decoder = new EventJsonDecoder();
    private final TopicTail tail;

    StageLatencyProbe(String bootstrapServers, String topic) {
        tail = new TopicTail(bootstrapServers, topic, "stage-latency-probe", Duration.ofMillis(50), this::note);
    }

    private void note(ConsumerRecord<byte[], byte[]> record) {
        long now = System.currentTimeMillis();
        Event event = decoder.decode(record.value());
        appendToSend.recordValue(Math.max(0, record.timestamp() - event.timestamp().toEpochMilli()));
        sendToConsumed.recordValue(Math.max(0, now - record.timestamp()));
    }

    /** Starts a new measuring interval (drops what was recorded so far). */
    void reset() {
        appendToSend.getIntervalHistogram();
        sendToConsumed.getIntervalHistogram();
    }

    /** p50 / p99 of both parts since the last reset, in milliseconds. */
    String summary() {
        var append = appendToSend.getIntervalHistogram();
        var consumed = sendToConsumed.getIntervalHistogram();
        return String.format(Locale.ROOT, "append -> relay send p50 %d / p99 %d ms; relay send -> consumed p50 %d / p99 %d ms",
            append.getValueAtPercentile(50), append.getValueAtPercentile(99), consumed.getValueAtPercentile(50),
            consumed.getValueAtPercentile(99));
    }

    @Override
    public void close() {
        tail.close();
    }
}
