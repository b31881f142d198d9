package dev.ferry.mongodb.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoDatabase;

import dev.ferry.mongodb.MongoTestDatabase;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.relay.CheckpointStore;
import dev.ferry.core.relay.ResumeToken;
import dev.ferry.mongodb.relay.MongoCheckpointStore;

/** Compare-and-set leases with growing epochs, and checkpoints fenced by the epoch. */
@Timeout(60)
class MongoLeaseStoreIT {

    private static MongoTestDatabase mongo;
    private static MongoDatabase database;
    private MongoLeaseStore leases;
    private MongoCheckpointStore checkpoints;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_lease");
        database = mongo.database();
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @BeforeEach
    void fresh() {
        String collection = "leases_" + System.nanoTime();
        leases = new MongoLeaseStore(database, collection);
        checkpoints = new MongoCheckpointStore(database, collection);
    }

    @Test
    void onlyTheInstanceThatSawTheCurrentLeaseCanTakeIt() {
        Optional<Lease> first = leases.tryAcquire("relay", "a", Optional.empty());
        assertThat(first).contains(new Lease("relay", "a", 1, 0));
        assertThat(leases.tryAcquire("relay", "b", Optional.empty())).isEmpty();

        Lease seenByB = leases.read("relay").orElseThrow();
        assertThat(leases.renew("relay", "a", 1)).isTrue(); // a is alive: what b saw is stale now
        assertThat(leases.tryAcquire("relay", "b", Optional.of(seenByB))).isEmpty();

        Lease current = leases.read("relay").orElseThrow();
        assertThat(leases.tryAcquire("relay", "b", Optional.of(current))).contains(new Lease("relay", "b", 2, 0));
        assertThat(leases.renew("relay", "a", 1)).isFalse();
    }

    @Test
    void leasesAreListedByNamePrefixAndOnlyThose() {
        leases.tryAcquire("g.member.a", "a", Optional.empty());
        leases.tryAcquire("g.member.b", "b", Optional.empty());
        leases.tryAcquire("g.partition.1", "a", Optional.empty());
        leases.tryAcquire("g+member.c", "c", Optional.empty()); // '.' is no pattern
        assertThat(leases.readAll("g.member.")).extracting(Lease::owner).containsExactlyInAnyOrder("a", "b");
    }

    @Test
    void aReleasedLeaseKeepsItsEpochForTheNextOwnerToIncrement() {
        leases.tryAcquire("relay", "a", Optional.empty());
        leases.release("relay", "a", 1);

        Lease released = leases.read("relay").orElseThrow();
        assertThat(released.owner()).isNull();
        assertThat(leases.tryAcquire("relay", "b", Optional.of(released))).get().extracting(Lease::epoch).isEqualTo(2L);
    }

    @Test
    void aCheckpointIsWrittenOnlyUnderTheCurrentEpoch() {
        leases.tryAcquire("relay", "a", Optional.empty());
        checkpoints.save("relay", checkpoint(1, "{\"_data\": \"01\"}", 10, Map.of()));
        leases.tryAcquire("relay", "b", leases.read("relay"));

        assertThatThrownBy(() -> checkpoints.save("relay", checkpoint(1, "{\"_data\": \"02\"}", 20, Map.of())))
            .isInstanceOf(CheckpointStore.Fenced.class).hasMessageContaining("epoch 1");
        checkpoints.save("relay", checkpoint(2, "{\"_data\": \"03\"}", 30, Map.of()));

        CheckpointStore.Checkpoint checkpoint = checkpoints.load("relay").orElseThrow();
        assertThat(checkpoint.token().value()).contains("03");
        assertThat(checkpoint.sequence()).isEqualTo(30);
    }

    @Test
    void aCheckpointCarriesItsEpochAndEachSourcesCopyProgress() {
        leases.tryAcquire("relay", "a", Optional.empty());
        Map<String, CheckpointStore.CopyProgress> copies = Map.of("patients", new CheckpointStore.CopyProgress("{\"_id\": 7}", 7, false),
            "events", new CheckpointStore.CopyProgress("", 120, true));
        checkpoints.save("relay", checkpoint(1, "{\"_data\": \"04\"}", 40, copies));

        CheckpointStore.Checkpoint checkpoint = checkpoints.load("relay").orElseThrow();
        assertThat(checkpoint.epoch()).isEqualTo(1);
        assertThat(checkpoint.copies()).isEqualTo(copies);
    }

    private static CheckpointStore.Checkpoint checkpoint(long epoch, String token, long sequence,
                                                         Map<String, CheckpointStore.CopyProgress> copies) {
        return new CheckpointStore.Checkpoint(new ResumeToken(token), copies, sequence, epoch, Instant.now());
    }
}
