package dev.ferry.mongodb.entity;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.bson.BsonDocument;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.mongodb.MongoTestDatabase;

/**
 * The versions entity changes carry. A copied document is versioned at the stream position noted before the copy,
 * never where the relay is. With a version field of the users' own (sharded clusters): versions are the field's
 * values, a delete's is just after the deleted document's, and a change (re-create, update, copy) not above its key's
 * tombstone is dead-lettered with the reason, never dropped — also when it comes in a later batch, and the same way
 * when a batch is read again after a failover. The changes are given as a real server with pre-images delivers them (the embedded server keeps
 * no pre-images); the tombstone ledger is a real collection.
 */
@Timeout(60)
class EntityVersionsIT {

    private MongoTestDatabase mongo;
    private MongoCollection<BsonDocument> patients;
    private MongoCollection<BsonDocument> ledger;
    private long clock = 1_000;

    @BeforeEach
    void connect() {
        mongo = MongoTestDatabase.start("ferry_version_field");
        patients = mongo.database().getCollection("patients", BsonDocument.class);
        ledger = mongo.database().getCollection("ferry_entity_tombstones", BsonDocument.class);
    }

    @AfterEach
    void disconnect() {
        mongo.close();
    }

    @Test
    void aReCreatedDocumentNotAboveItsTombstoneIsDeadLetteredAndAHigherOneIsPublished() {
        List<ChangeStreamDocument<RawBsonDocument>> history = List.of(
            insert("p-1", 1), update("p-1", 2), delete("p-1", 2), insert("p-1", 2), insert("p-1", 3));

        List<Change> read = reader().read(history);

        assertThat(versions(read.subList(0, 3))).containsExactly("0000000000000000001", "0000000000000000002",
            "0000000000000000002.d");
        assertThat(read.get(1)).isInstanceOf(Change.EntityChanged.class);
        assertThat(read.get(2).records()).hasSize(2); // the delete and its tombstone
        assertThat(read.get(3)).isInstanceOfSatisfying(Change.Refused.class, refused -> {
            assertThat(refused.cause()).isEqualTo(Change.Refused.Cause.STALE_VERSION);
            assertThat(refused.reason()).isEqualTo("entity patient id p-1: re-created with rev 0000000000000000002, "
                + "not above its tombstone's 0000000000000000002.d; not published (consumers would take it for older "
                + "than the delete): a re-created document must carry a higher rev than the one deleted");
            assertThat(refused.documentJson()).isEqualTo("{\"_id\": \"p-1\"}");
        });
        assertThat(versions(read.subList(4, 5))).containsExactly("0000000000000000003");
    }

    @Test
    void anUpdateNotAboveTheTombstoneBeforeItIsDeadLetteredAndAHigherOneIsPublished() {
        List<Change> read = reader().read(List.of(insert("p-1", 5), delete("p-1", 5), update("p-1", 5),
            update("p-1", 6)));

        assertThat(read.get(2)).isInstanceOfSatisfying(Change.Refused.class, refused -> {
            assertThat(refused.cause()).isEqualTo(Change.Refused.Cause.STALE_VERSION);
            assertThat(refused.reason()).startsWith("entity patient id p-1: updated with rev 0000000000000000005, "
                + "not above its tombstone's 0000000000000000005.d");
        });
        assertThat(versions(read.subList(3, 4))).containsExactly("0000000000000000006");
    }

    @Test
    void aCopiedDocumentNotAboveItsTombstoneIsDeadLettered() {
        reader().read(List.of(insert("p-1", 5), delete("p-1", 5)));
        clock++;
        dev.ferry.core.relay.spi.ResumeToken noted = new dev.ferry.core.relay.spi.ResumeToken("{\"_data\": \""
            + String.format("82%08X%08X", clock, 1) + "\"}");

        List<Change> copied = reader().readCopied(noted, noted, List.of(versioned("p-1", 4), versioned("p-2", 1)));

        assertThat(copied.get(0)).isInstanceOf(Change.Refused.class);
        assertThat(copied.get(1)).isInstanceOf(Change.EntityChanged.class);
    }

    @Test
    void withoutAVersionFieldACopiedDocumentIsVersionedAtTheNotedPositionNotWhereTheRelayIs() {
        EntityChanges byClusterTime = new EntityChanges(new EntitySource("patients", "patient",
            mongo.database().getName(), "patients", EntitySource.DEFAULT_MAX_RECORD_BYTES, false), patients);
        dev.ferry.core.relay.spi.ResumeToken noted = new dev.ferry.core.relay.spi.ResumeToken("{\"_data\": \"82"
            + String.format("%08X%08X", 2000, 3) + "\"}");
        dev.ferry.core.relay.spi.ResumeToken relayIsAt = new dev.ferry.core.relay.spi.ResumeToken("{\"_data\": \"82"
            + String.format("%08X%08X", 2100, 1) + "\"}");

        List<Change> copied = byClusterTime.readCopied(relayIsAt, noted, List.of(versioned("p-1", 1)));

        // A change made after the document was read (and before the relay reached 2100) must sort after it.
        assertThat(copied).singleElement().isInstanceOfSatisfying(Change.EntityChanged.class, changed -> {
            assertThat(changed.change().version().wire()).isEqualTo("0000002000.0000000003.0000000000");
            assertThat(changed.token()).isEqualTo(relayIsAt);
        });
    }

    @Test
    void theTombstoneOfAnEarlierBatchJudgesALaterReCreate() {
        reader().read(List.of(insert("p-1", 5), delete("p-1", 5)));

        List<Change> later = reader().read(List.of(insert("p-1", 4), insert("p-2", 1)));

        assertThat(later.get(0)).isInstanceOf(Change.Refused.class);
        assertThat(later.get(1)).isInstanceOf(Change.EntityChanged.class);
    }

    @Test
    void aBatchReadAgainAfterAFailoverIsJudgedTheSameWay() {
        List<ChangeStreamDocument<RawBsonDocument>> batch = List.of(insert("p-1", 1), delete("p-1", 1),
            insert("p-1", 1), delete("p-1", 7), insert("p-1", 8));
        List<String> first = outcomes(reader().read(batch));

        List<String> again = outcomes(reader().read(batch));

        assertThat(again).isEqualTo(first);
        assertThat(first).containsExactly("create 0000000000000000001", "delete 0000000000000000001.d", "refused",
            "delete 0000000000000000007.d", "create 0000000000000000008");
        assertThat(ledger.find().first().getArray("tombstones")).hasSize(2);
    }

    @Test
    void aDeleteWithoutItsPreImageIsDeadLetteredNamingPreImages() {
        ChangeStreamDocument<RawBsonDocument> delete = change("delete", "p-1", null, null);

        assertThat(reader().read(List.of(delete))).singleElement().isInstanceOfSatisfying(Change.Refused.class,
            malformed -> assertThat(malformed.reason()).isEqualTo("entity patient id p-1: the delete carries no "
                + "document to read rev from (the collection must keep pre-images: changeStreamPreAndPostImages)"));
    }

    @Test
    void aVersionFieldThatIsNotANumberOrADateIsDeadLettered() {
        ChangeStreamDocument<RawBsonDocument> insert = change("insert", "p-1",
            document("p-1").append("rev", new BsonString("seven")), null);

        assertThat(reader().read(List.of(insert))).singleElement().isInstanceOfSatisfying(Change.Refused.class,
            malformed -> assertThat(malformed.reason())
                .isEqualTo("entity patient id p-1: its version field rev holds a string, not an integer or a date"));
    }

    private EntityChanges reader() {
        return new EntityChanges(new EntitySource("patients", "patient", mongo.database().getName(), "patients",
            EntitySource.DEFAULT_MAX_RECORD_BYTES, true, "rev"), patients, ledger);
    }

    private ChangeStreamDocument<RawBsonDocument> insert(String id, long rev) {
        return change("insert", id, versioned(id, rev), null);
    }

    private ChangeStreamDocument<RawBsonDocument> update(String id, long rev) {
        return change("update", id, versioned(id, rev), versioned(id, rev - 1));
    }

    private ChangeStreamDocument<RawBsonDocument> delete(String id, long rev) {
        return change("delete", id, null, versioned(id, rev));
    }

    private static BsonDocument versioned(String id, long rev) {
        return document(id).append("rev", new BsonInt64(rev));
    }

    private static BsonDocument document(String id) {
        return new BsonDocument("_id", new BsonString(id));
    }

    /** A change as a real server reports it: a resume token whose order is the stream's, a cluster time. */
    private ChangeStreamDocument<RawBsonDocument> change(String operation, String id, BsonDocument after,
                                                         BsonDocument before) {
        clock++;
        BsonDocument token = new BsonDocument("_data", new BsonString(String.format("82%08X%08X2B022C0100296E04",
            clock, 1)));
        return new ChangeStreamDocument<>(operation, token, new BsonDocument("db", new BsonString("clinic"))
            .append("coll", new BsonString("patients")), null, null, raw(after), raw(before), document(id),
            new BsonTimestamp((int) clock, 1), null, null, null, null, null, null);
    }

    private static RawBsonDocument raw(BsonDocument document) {
        return document == null ? null : RawBsonDocument.parse(document.toJson());
    }

    private static List<String> versions(List<Change> changes) {
        return changes.stream().map(change -> ((Change.EntityChanged) change).change().version().wire()).toList();
    }

    private static List<String> outcomes(List<Change> changes) {
        List<String> outcomes = new ArrayList<>();
        for (Change change : changes) {
            if (change instanceof Change.EntityChanged changed) {
                EntityChange entity = changed.change();
                outcomes.add(entity.operation().wireName() + " " + entity.version());
            } else {
                outcomes.add("refused");
            }
        }
        return outcomes;
    }
}
