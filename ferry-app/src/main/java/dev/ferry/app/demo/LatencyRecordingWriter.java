package dev.ferry.app.demo;

import org.HdrHistogram.Recorder;

import dev.ferry.core.event.Event;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;

/**
 * Measures end-to-end latency, append to read model written, for every applied event (the event's timestamp is
 * taken at append, on the same clock in the demo's single JVM).
 */
final class LatencyRecordingWriter implements ReadModelWriter {

    private final ReadModelWriter delegate;
    private final Recorder latencyMicros;

    LatencyRecordingWriter(ReadModelWriter delegate, Recorder latencyMicros) {
        this.delegate = delegate;
        this.latencyMicros = latencyMicros;
    }

    @Override
    public Outcome apply(Projection projection, Event event, ReadModelChange change) {
        Outcome outcome = delegate.apply(projection, event, change);
        if (outcome == Outcome.APPLIED) {
            long micros = (System.currentTimeMillis() - event.timestamp().toEpochMilli()) * 1000;
            latencyMicros.recordValue(Math.max(0, micros));
        }
        return outcome;
    }

    @Override
    public long version(Projection projection, String aggregateId) {
        return delegate.version(projection, aggregateId);
    }

    @Override
    public Outcome skip(Projection projection, Event event, String reason) {
        return delegate.skip(projection, event, reason);
    }
}
