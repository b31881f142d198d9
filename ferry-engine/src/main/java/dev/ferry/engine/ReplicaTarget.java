package dev.ferry.engine;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.Event;
import dev.ferry.core.projection.HandlerContext;
import dev.ferry.core.projection.ReadModelWriter.Outcome;
import dev.ferry.core.replica.ChangesRejected;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.subscription.SubscribedRecord;
import dev.ferry.core.target.ParkedEvents.ParkedEvent;
import dev.ferry.engine.wire.EntityJsonDecoder;

/**
 * A replica as the engine's target: entity changes written by version into a replica, each first notified (if
 * configured) through the breaker. A tombstone asks for nothing (the delete before it wrote the replica's tombstone).
 * Parked changes keep their raw value and are decoded again on retry.
 */
final class ReplicaTarget implements LaneTarget<EntityChange, EntityChange> {

    private final String name;
    private final Set<String> entities;
    private final ReplicaWriter writer;
    private final ChangeNotifier notifier;
    private final EntityJsonDecoder decoder = new EntityJsonDecoder();

    ReplicaTarget(String name, Set<String> entities, ReplicaWriter writer, ChangeNotifier notifier) {
        this.name = Objects.requireNonNull(name, "name");
        this.entities = Set.copyOf(entities);
        this.writer = Objects.requireNonNull(writer, "writer");
        this.notifier = notifier;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Set<String> types() {
        return entities;
    }

    @Override
    public EntityChange decode(SubscribedRecord record) {
        if (record.value() == null || record.value().length == 0) {
            return null; // the tombstone after a delete (Kafka: no value; NATS: an empty one)
        }
        return decode(record.value());
    }

    private EntityChange decode(byte[] value) {
        try {
            return decoder.decode(value);
        } catch (EntityJsonDecoder.UndecodableEntityChange poison) {
            throw new Undecodable(poison.getMessage());
        }
    }

    @Override
    public EntityChange prepare(EntityChange change, HandlerContext context) throws Exception {
        if (notifier != null) {
            context.call(ChangeNotifier.DEPENDENCY, () -> {
                notifier.notify(change, context.idempotencyKey());
                return null;
            });
        }
        return change;
    }

    @Override
    public String idempotencyKey(EntityChange change) {
        return change.recordId();
    }

    @Override
    public List<Outcome> writeRun(List<EntityChange> run) {
        return writer.write(run).stream().map(ReplicaTarget::outcome).toList();
    }

    /** A run with a change the replica refused is null (written again on its own, where it fails alone). */
    @Override
    public List<List<Outcome>> writeRuns(List<List<EntityChange>> runs) {
        List<ReplicaWriter.Outcome> all;
        try {
            all = writer.write(runs.stream().flatMap(List::stream).toList());
        } catch (ChangesRejected rejected) {
            all = rejected.outcomes();
        }
        List<List<Outcome>> byRun = new ArrayList<>(runs.size());
        int from = 0;
        for (List<EntityChange> run : runs) {
            List<ReplicaWriter.Outcome> written = all.subList(from, from + run.size());
            byRun.add(written.stream().anyMatch(Objects::isNull) ? null
                : written.stream().map(ReplicaTarget::outcome).toList());
            from += run.size();
        }
        return byRun;
    }

    @Override
    public Outcome write(EntityChange change) {
        return outcome(writer.write(List.of(change)).get(0));
    }

    /** Nothing to write for an update whose document was deleted since: done, as a duplicate is. */
    private static Outcome outcome(ReplicaWriter.Outcome outcome) {
        return outcome == ReplicaWriter.Outcome.APPLIED ? Outcome.APPLIED : Outcome.DUPLICATE;
    }

    /** A replica keeps no skip markers: a skipped change is only left out (the next change of the id overwrites). */
    @Override
    public void skip(EntityChange change, String reason) {
    }

    @Override
    public String describe(EntityChange change) {
        return "version " + change.version();
    }

    @Override
    public String gap(EntityChange change) {
        return "entity versions only increase: no gap"; // INCREASING never reports one
    }

    @Override
    public Event parkedAs(EntityChange change) {
        return null;
    }

    @Override
    public EntityChange fromParked(ParkedEvent parked) {
        if (parked.rawValue() == null) {
            throw new Undecodable("a parked record without a value");
        }
        return decode(parked.rawValue().getBytes(StandardCharsets.UTF_8));
    }
}
