package dev.ferry.mongodb.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ChangesRejected;
import dev.ferry.core.replica.ReplicaWriter.Outcome;
import dev.ferry.core.replica.ReplicaWriter.StoredVersion;
import dev.ferry.mongodb.MongoTestDatabase;

/**
 * A document MongoDB or its driver refuses fails only its own id: the batch's other ids are written and the refused ones
 * come back in {@link ChangesRejected}, with the others' outcomes (embedded MongoDB, or FERRY_MONGODB_URI).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MongoReplicaRefusedDocumentsIT {

    private static final String ENTITY = "patient";
    private static final AtomicInteger COLLECTIONS = new AtomicInteger();
    private static MongoTestDatabase mongo;

    private MongoCollection<BsonDocument> collection;
    private MongoReplicaWriter writer;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_replica_refused");
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @BeforeEach
    void newReplica() {
        String name = "patient_" + COLLECTIONS.incrementAndGet();
        writer = new MongoReplicaWriter(mongo.database(), List.of(new MongoReplicaCollection(ENTITY, name)), Duration.ofHours(1),
            Clock.fixed(Instant.parse("2026-12-07T06:00:00Z"), ZoneOffset.UTC));
        collection = mongo.database().getCollection(name, BsonDocument.class);
    }

    @Test
    void aTopLevelFieldNameStartingWithADollarFailsOnlyItsOwnId() {
        List<EntityChange> batch = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            batch.add(create("p" + i, 1, patient("p" + i, 1)));
        }
        batch.add(change("p4", EntityOperation.UPDATE, 2, "{\"_id\": \"p4\", \"$where\": \"1\"}"));
        batch.add(create("p6", 2, patient("p6", 2)));

        ChangesRejected rejected = catchRejected(() -> writer.write(batch));

        assertThat(rejected.causes()).as("both changes of p4").containsOnlyKeys(4, 10);
        List<Outcome> others = new ArrayList<>(rejected.outcomes());
        assertThat(others.remove(10)).isNull();
        assertThat(others.remove(4)).isNull();
        assertThat(others).hasSize(10).containsOnly(Outcome.APPLIED);
        assertThat(writer.stored(ENTITY, "p4")).isEmpty();
        assertThat(writer.stored(ENTITY, "p6")).contains(new StoredVersion(v(2), false));
        assertThat(collection.countDocuments()).isEqualTo(9);
    }

    @Test
    void aDocumentTooLargeFailsOnlyItsOwnIdAndTheBatchAgainIsDuplicatesButIt() {
        String large = "{\"_id\": \"large\", \"blob\": \"" + "x".repeat(17 * 1024 * 1024) + "\"}";
        List<EntityChange> batch = List.of(create("a", 1, patient("a", 1)), create("large", 1, large),
            create("b", 1, patient("b", 1)));

        ChangesRejected rejected = catchRejected(() -> writer.write(batch));
        assertThat(rejected.outcomes()).containsExactly(Outcome.APPLIED, null, Outcome.APPLIED);

        ChangesRejected again = catchRejected(() -> writer.write(batch));
        assertThat(again.outcomes()).containsExactly(Outcome.DUPLICATE, null, Outcome.DUPLICATE);
        assertThat(collection.countDocuments()).isEqualTo(2);
    }

    @Test
    void aDocumentThatIsNotExtendedJsonFailsOnlyItsOwnIdAndAloneThrowsItsReason() {
        List<EntityChange> batch = List.of(create("a", 1, patient("a", 1)), create("bad", 1, "{\"_id\": \"bad\", oops"));

        assertThat(catchRejected(() -> writer.write(batch)).outcomes()).containsExactly(Outcome.APPLIED, null);
        assertThatThrownBy(() -> writer.write(batch.subList(1, 2))).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("not Extended JSON");
    }

    private static ChangesRejected catchRejected(Runnable write) {
        try {
            write.run();
        } catch (ChangesRejected e) {
            return e;
        }
        throw new AssertionError("no change was refused");
    }

    private static EntityVersion v(long n) {
        return EntityVersion.ofClusterTime(n, 1, 1);
    }

    private static EntityChange create(String id, long version, String document) {
        return change(id, EntityOperation.CREATE, version, document);
    }

    private static String patient(String id, long version) {
        return "{\"_id\": \"" + id + "\", \"name\": \"v" + version + "\"}";
    }

    private static EntityChange change(String id, EntityOperation operation, long version, String document) {
        return new EntityChange(ENTITY, id, operation, v(version), document, null, "clinic", "patients", version, 1);
    }
}
