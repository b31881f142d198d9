package dev.ferry.engine;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import dev.ferry.core.event.Event;
import dev.ferry.core.projection.HandlerContext;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.target.ParkedEvents.ParkedEvent;
import dev.ferry.engine.wire.EventJsonDecoder;

/** A projection as the engine's target: events, their handlers' changes, one version-checked read-model write. */
final class ProjectionTarget implements LaneTarget<Event, ReadModelWriter.Step> {

    private final Projection projection;
    private final ReadModelWriter writer;
    private final EventJsonDecoder decoder = new EventJsonDecoder();

    ProjectionTarget(Projection projection, ReadModelWriter writer) {
        this.projection = Objects.requireNonNull(projection, "projection");
        this.writer = Objects.requireNonNull(writer, "writer");
    }

    @Override
    public String name() {
        return projection.name();
    }

    @Override
    public Set<String> types() {
        return projection.aggregateTypes();
    }

    @Override
    public Event decode(SubscribedRecord record) {
        return decode(record.value());
    }

    private Event decode(byte[] value) {
        try {
            return decoder.decode(value);
        } catch (EventJsonDecoder.UndecodableEvent poison) {
            throw new Undecodable(poison.getMessage());
        }
    }

    @Override
    public ReadModelWriter.Step prepare(Event event, HandlerContext context) throws Exception {
        return new ReadModelWriter.Step(event, projection.apply(event, context));
    }

    @Override
    public String idempotencyKey(Event event) {
        return event.eventId();
    }

    @Override
    public List<ReadModelWriter.Outcome> writeRun(List<ReadModelWriter.Step> run) {
        return writer.applyRun(projection, run);
    }

    @Override
    public List<List<ReadModelWriter.Outcome>> writeRuns(List<List<ReadModelWriter.Step>> runs) {
        return writer.applyRuns(projection, runs);
    }

    @Override
    public ReadModelWriter.Outcome write(ReadModelWriter.Step step) {
        return writer.apply(projection, step.event(), step.change());
    }

    @Override
    public void skip(Event event, String reason) {
        writer.skip(projection, event, reason);
    }

    @Override
    public String describe(Event event) {
        return "version " + event.version();
    }

    @Override
    public String gap(Event event) {
        return "the read model of " + event.aggregateType() + "/" + event.aggregateId() + " is at version "
            + writer.version(projection, event.aggregateId()) + ", this event is version " + event.version();
    }

    @Override
    public Event parkedAs(Event event) {
        return event;
    }

    @Override
    public Event fromParked(ParkedEvent parked) {
        if (parked.event() != null) {
            return parked.event();
        }
        if (parked.rawValue() == null) {
            throw new Undecodable("a record without a value");
        }
        return decode(parked.rawValue().getBytes(StandardCharsets.UTF_8));
    }
}
