package dev.ferry.mongodb.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoDatabase;

import dev.ferry.mongodb.MongoTestDatabase;

import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.lease.contract.LeaseStoreContract;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.mongodb.relay.MongoCheckpointStore;

/**
 * Compare-and-set leases with growing epochs (the {@link LeaseStoreContract}), and checkpoints fenced by the epoch.
 */
@Timeout(60)
class MongoLeaseStoreIT extends LeaseStoreContract {

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

    @Override
    protected LeaseStore newStore() {
        String collection = "leases_" + System.nanoTime();
        leases = new MongoLeaseStore(database, collection);
        checkpoints = new MongoCheckpointStore(database, collection);
        return leases;
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
