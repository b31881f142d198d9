package dev.ferry.core.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.InMemoryReplica.Fault;
import dev.ferry.core.replica.contract.ReplicaWriterContract;

/** The in-memory replica keeps the contract: the control for the broken ones in ReplicaWriterContractCanFailTest. */
public class InMemoryReplicaWriterTest extends ReplicaWriterContract {

    private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-02T10:00:00Z"));

    /** What the replica's writers leave out; none here. */
    protected Fault fault() {
        return Fault.NONE;
    }

    @Override
    protected Replica newReplica() {
        InMemoryReplica replica = new InMemoryReplica(fault(), now::get, Duration.ofHours(1));
        ReplicaWriter writer = replica.writer(() -> { });
        return new Replica() {
            @Override
            public ReplicaWriter writer() {
                return writer;
            }

            @Override
            public ReplicaWriter writerRacedBy(Runnable action) {
                return replica.writer(action);
            }

            @Override
            public List<ReplicaWrite> history() {
                return replica.log();
            }

            @Override
            public void assertHolds(String id, String documentJson) {
                assertThat(replica.document(ENTITY, id)).contains(documentJson);
            }

            @Override
            public void assertTombstone(String id, EntityVersion version) {
                assertThat(replica.document(ENTITY, id)).isEmpty();
                assertThat(replica.deletedAt(ENTITY, id)).contains(now.get());
                assertThat(writer.stored(ENTITY, id)).contains(new ReplicaWriter.StoredVersion(version, true));
            }

            @Override
            public Object snapshot() {
                return replica.snapshot();
            }

            @Override
            public void plantLiveState(String id, EntityVersion version) {
                replica.plant(ENTITY, id, version, "{}");
            }
        };
    }

    @Override
    protected void advanceClock(Duration by) {
        now.updateAndGet(instant -> instant.plus(by));
    }
}
