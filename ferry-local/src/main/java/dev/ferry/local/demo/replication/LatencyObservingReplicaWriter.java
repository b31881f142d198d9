package dev.ferry.local.demo.replication;

import java.util.List;
import java.util.Optional;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.replica.ReplicaWriter;

/**
 * Reports, for every change a replica writer applied, the milliseconds from the source write to the replica write
 * returning: the source documents carry {@code updatedAt} (the writer's clock at the write), read here from the
 * change's document. Deletes carry no document and are not measured; a change whose document was looked up after a
 * later write measures from that later write (the state it carries).
 */
final class LatencyObservingReplicaWriter implements ReplicaWriter {

    // canonical Extended JSON of a date: {"$date": {"$numberLong": "…"}}
    private static final Pattern WRITTEN_AT = Pattern.compile("\"" + PatientAndPractitionerWrites.WRITTEN_AT
        + "\"\\s*:\\s*\\{\\s*\"\\$date\"\\s*:\\s*\\{\\s*\"\\$numberLong\"\\s*:\\s*\"(-?\\d+)\"");

    private final ReplicaWriter delegate;
    private final LongConsumer latencyMillis;

    LatencyObservingReplicaWriter(ReplicaWriter delegate, LongConsumer latencyMillis) {
        this.delegate = delegate;
        this.latencyMillis = latencyMillis;
    }

    @Override
    public List<Outcome> write(List<EntityChange> changes) {
        List<Outcome> outcomes = delegate.write(changes);
        long now = System.currentTimeMillis();
        for (int i = 0; i < outcomes.size(); i++) {
            String document = changes.get(i).documentJson();
            if (outcomes.get(i) == Outcome.APPLIED && document != null) {
                Matcher writtenAt = WRITTEN_AT.matcher(document);
                if (writtenAt.find()) {
                    latencyMillis.accept(Math.max(0, now - Long.parseLong(writtenAt.group(1))));
                }
            }
        }
        return outcomes;
    }

    @Override
    public Optional<StoredVersion> stored(String entity, String id) {
        return delegate.stored(entity, id);
    }

    @Override
    public long purgeTombstones() {
        return delegate.purgeTombstones();
    }
}
