package dev.ferry.mongodb.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.MongoTestDatabase;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.mapping.EventMapping;
import dev.ferry.mongodb.relay.MongoCheckpointStore;
import dev.ferry.mongodb.relay.MongoGapLog;

/**
 * Before a relay starts, every source it may copy is checked for the index its copy reads through: Ferry's own store
 * gets its index created; a store of the users' own schema without one is refused in one line naming the collection
 * and the index to create, before the relay leads or copies anything.
 */
@Timeout(120)
class CopyIndexCheckIT {

    private static final ResumeToken STAMP = new ResumeToken("{\"_data\": \"8200000001000000010\"}");
    private static MongoTestDatabase mongo;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_copy_index");
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @Test
    void ferrysOwnStoreGetsTheIndexItsCopyReadsThrough() {
        String name = "commits_" + System.nanoTime();
        mongo.database().createCollection(name);
        MongoSourceCopy copy = new MongoSourceCopy(mongo.client(), List.of(CopiedCollection.commits("events",
            new WatchedCollection(mongo.database().getName(), name, DocumentReaders.commits()))));

        copy.prepare(copy.sources());

        List<String> indexes = mongo.database().getCollection(name).listIndexes().map(i -> i.getString("name"))
            .into(new ArrayList<>());
        assertThat(indexes).contains("aggregate_first_version");
    }

    @Test
    void aMappedStoreWithoutTheIndexIsRefusedInOneLineNamingItBeforeTheRelayStarts() {
        String name = "patient_events_" + System.nanoTime();
        MongoSourceCopy copy = mappedCopy(name, List.of(name));
        mongo.database().getCollection(name).insertOne(event("patient-1", 1));
        mongo.database().getCollection(name).createIndex(Indexes.ascending("streamId", "revision")); // not unique

        String expected = "source " + name + ": the copy reads " + mongo.database().getName() + "." + name
            + " in the order [streamId, revision], but no index serves it; create one: db.getSiblingDB(\""
            + mongo.database().getName() + "\")." + name + ".createIndex({streamId: 1, revision: 1}, {unique: true}) "
            + "(or {streamId: 1, revision: 1, _id: 1} if two documents may share those fields)";
        assertThatThrownBy(() -> copy.prepare(copy.sources())).isInstanceOf(SourceCopy.NotReady.class)
            .hasMessage(expected);

        String leases = "leases_" + System.nanoTime();
        ChangeStreamRelay relay = new ChangeStreamRelay(RelaySettings.defaults("r-" + name), "r1",
            MongoChangeSource.of(mongo.client(), List.of(watched(name)), ChangeStreamTail.Settings.DEFAULT), copy,
            () -> {
                throw new AssertionError("a relay that may not copy must not publish");
            }, new MongoCheckpointStore(mongo.database(), leases), new MongoLeaseStore(mongo.database(), leases),
            new MongoGapLog(mongo.database(), "gaps"));
        assertThatThrownBy(relay::start).isInstanceOf(SourceCopy.NotReady.class).hasMessage(expected);
        assertThat(mongo.database().getCollection(leases).countDocuments()).as("never led").isZero();
    }

    @Test
    void aSourceCopiedOnlyWhenAskedIsCheckedWhenEarliestOrRecopyMayCopyIt() {
        String name = "unindexed_" + System.nanoTime();
        MongoSourceCopy copy = mappedCopy(name, List.of()); // not copied first
        String leases = "leases_" + System.nanoTime();
        RelaySettings settings = RelaySettings.defaults("r-" + name).withInitialPosition(new StartPosition.Earliest());
        ChangeStreamRelay relay = new ChangeStreamRelay(settings, "r1",
            MongoChangeSource.of(mongo.client(), List.of(watched(name)), ChangeStreamTail.Settings.DEFAULT), copy,
            () -> {
                throw new AssertionError("not to publish");
            }, new MongoCheckpointStore(mongo.database(), leases), new MongoLeaseStore(mongo.database(), leases),
            new MongoGapLog(mongo.database(), "gaps"));

        assertThatThrownBy(relay::start).isInstanceOf(SourceCopy.NotReady.class).hasMessageContaining(name);
    }

    @Test
    void aUniqueIndexOnTheOrderOrOneEndingInIdServesTheCopyInVersionOrder() {
        String unique = "unique_" + System.nanoTime();
        String tieBroken = "tie_broken_" + System.nanoTime();
        mongo.database().getCollection(unique).createIndex(Indexes.ascending("streamId", "revision"),
            new IndexOptions().unique(true));
        mongo.database().getCollection(tieBroken).createIndex(Indexes.ascending("streamId", "revision", "_id"));
        for (String name : List.of(unique, tieBroken)) {
            MongoCollection<Document> collection = mongo.database().getCollection(name);
            for (int revision : List.of(3, 1, 2, 0)) {
                collection.insertOne(event("patient-2", revision));
                collection.insertOne(event("patient-1", revision));
            }
            MongoSourceCopy copy = mappedCopy(name, List.of(name));
            copy.prepare(copy.sources());

            List<String> copied = new ArrayList<>();
            String position = "";
            boolean done = false;
            while (!done) {
                SourceCopy.CopyBatch batch = copy.next(name, position, STAMP, STAMP, 3);
                batch.changes().forEach(change -> {
                    Event event = (Event) change.records().get(0);
                    copied.add(event.aggregateId() + "/" + event.version());
                });
                position = batch.position();
                done = batch.done();
            }
            assertThat(copied).as(name).containsExactly("1/1", "1/2", "1/3", "1/4", "2/1", "2/2", "2/3", "2/4");
        }
    }

    private static Document event(String stream, int revision) {
        return new Document("streamId", stream).append("revision", revision).append("type", "Registered")
            .append("data", new Document("n", revision));
    }

    private static MongoSourceCopy mappedCopy(String collection, List<String> copiedFirst) {
        return new MongoSourceCopy(mongo.client(),
            List.of(new CopiedCollection(collection, watched(collection), List.of("streamId", "revision"), false)),
            copiedFirst);
    }

    /** Events in the users' schema: stream "patient-7", revision from 0. */
    private static WatchedCollection watched(String collection) {
        EventMapping mapping = new EventMapping(EventMapping.AggregateType.Derived.bySeparator("streamId", "-"), null,
            "revision", 0, VersionRule.CONTIGUOUS, "type", null, null, "data", Map.of());
        return new WatchedCollection(mongo.database().getName(), collection,
            DocumentReaders.mappedEvents(mapping, new TopicNaming("ferry.")));
    }
}
