package dev.ferry.local.demo.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;

import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.junit.jupiter.api.Test;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaWriter;

class LatencyObservingReplicaWriterTest {

    // as the relay writes a change's document (EntityChanges)
    private static final JsonWriterSettings RELAYED = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    @Test
    void measuresAppliedChangesFromTheirUpdatedAtAndSkipsDuplicatesAndDeletes() {
        long writtenAt = System.currentTimeMillis() - 250;
        String document = new Document("_id", "p-1").append("visits", 3L).append("updatedAt", new Date(writtenAt))
            .toJson(RELAYED);
        List<EntityChange> changes = List.of(change(1, EntityOperation.CREATE, document),
            change(2, EntityOperation.UPDATE, document), change(3, EntityOperation.DELETE, null));
        List<Long> measured = new ArrayList<>();
        ReplicaWriter replica = new ReplicaWriter() {
            @Override
            public List<Outcome> write(List<EntityChange> batch) {
                return List.of(Outcome.APPLIED, Outcome.DUPLICATE, Outcome.APPLIED);
            }

            @Override
            public Optional<StoredVersion> stored(String entity, String id) {
                return Optional.empty();
            }

            @Override
            public long purgeTombstones() {
                return 0;
            }
        };

        new LatencyObservingReplicaWriter(replica, measured::add).write(changes);

        assertThat(measured).hasSize(1);
        assertThat(measured.get(0)).isBetween(250L, 60_000L);
    }

    private static EntityChange change(long version, EntityOperation operation, String document) {
        return new EntityChange("patient", "p-1", operation, EntityVersion.ofField(version), document, null, "clinic",
            "patient", 0, 0);
    }
}
