package dev.ferry.mongodb.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.MongoTestDatabase;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.ResumeTokenFields;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.changestream.WatermarkCollection;
import dev.ferry.mongodb.entity.EntityChanges;
import dev.ferry.mongodb.entity.EntityKeys;
import dev.ferry.mongodb.entity.EntitySource;

/**
 * An entity collection's copy by watermarks, against MongoDB: a chunk's two watermarks come back through the
 * entity's own change stream around its read, the chunk's documents become changes versioned at the high watermark,
 * a document whose key the stream changed is left out (whatever the id's type), and only the last chunk's
 * watermarks stay in {@code ferry_watermarks}.
 */
@Timeout(120)
class CopyByWatermarksIT {

    /** A resume token carrying a cluster time, as a high watermark's does. */
    private static final ResumeToken HIGH = new ResumeToken("{\"_data\": \"8200000001000000010\"}");
    private static MongoTestDatabase mongo;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_watermarks_it");
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @Test
    void aChunksWatermarksComeBackThroughTheStreamAroundItsReadAndItsDocumentsAreVersionedAtTheHighOne() {
        String name = "patients_" + System.nanoTime();
        MongoCollection<Document> patients = mongo.database().getCollection(name);
        for (int i = 1; i <= 5; i++) {
            patients.insertOne(new Document("_id", i).append("name", "p" + i));
        }
        WatchedCollection watched = watched(name);
        MongoSourceCopy copy = copy(watched);
        assertThat(copy.copiesByWatermarks(name)).isTrue();

        try (ChangeSource.ChangeFeed feed = source(watched).open(new StartPosition.Now())) {
            SourceCopy.Chunk first = copy.readChunk(name, "", 3, marks(1));
            List<Change.Watermark> marks = watermarks(feed, 2);
            assertThat(marks).extracting(Change.Watermark::value).containsExactly("r/1/low", "r/1/high");
            assertThat(first.done()).isFalse();

            List<Change> changes = first.changes(marks.get(1).token());
            assertThat(changes).hasSize(3).allSatisfy(change -> assertThat(change.token()).isEqualTo(marks.get(1).token()));
            ResumeTokenFields.ClusterTime high = ResumeTokenFields.clusterTime(marks.get(1).token()).orElseThrow();
            assertThat(changes).extracting(change -> ((Change.EntityChanged) change).change().version())
                .containsOnly(EntityVersion.ofClusterTime(high.seconds(), high.increment(), 0));

            SourceCopy.Chunk last = copy.readChunk(name, first.position(), 3, marks(2));
            List<Change.Watermark> second = watermarks(feed, 2);
            assertThat(second).extracting(Change.Watermark::value).containsExactly("r/2/low", "r/2/high");
            assertThat(last.changes(second.get(1).token())).hasSize(2);
            assertThat(last.done()).isTrue();
        }
        assertThat(mongo.database().getCollection(WatermarkCollection.NAME).find(Filters.eq("relay", "r"))
            .map(document -> document.getString("_id")).into(new ArrayList<>()))
            .containsExactlyInAnyOrder("r/2/low", "r/2/high");
    }

    @Test
    void aDocumentWhoseKeyTheStreamChangedInTheWindowIsLeftOutWhateverItsIdsType() {
        String name = "patients_" + System.nanoTime();
        MongoCollection<Document> patients = mongo.database().getCollection(name);
        ObjectId objectId = new ObjectId();
        List<Object> ids = List.of(objectId, "p-2", 3L, 4);
        ids.forEach(id -> patients.insertOne(new Document("_id", id).append("n", 1)));
        WatchedCollection watched = watched(name);
        MongoSourceCopy copy = copy(watched);

        try (ChangeSource.ChangeFeed feed = source(watched).open(new StartPosition.Now())) {
            SourceCopy.Chunk chunk = copy.readChunk(name, "", 10, marks(3));
            patients.updateOne(Filters.eq("_id", objectId), Updates.set("n", 2));
            patients.updateOne(Filters.eq("_id", 3L), Updates.set("n", 2));
            List<Change> streamed = new ArrayList<>();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                feed.poll().stream().filter(change -> !(change instanceof Change.Watermark)).forEach(streamed::add);
                return streamed.size() == 2;
            });
            streamed.forEach(change -> change.records().forEach(chunk::changedInWindow));

            List<Change> kept = chunk.changes(streamed.get(1).token());
            assertThat(kept).extracting(change -> ((EntityChange) change.records().get(0)).id())
                .containsExactlyInAnyOrder("p-2", EntityKeys.of(new BsonInt32(4)));
        }
    }

    @Test
    void aCopyEndsAtTheLastKeyTheCollectionHeldWhenItBeganWhateverTheKeysTypes() {
        String name = "patients_" + System.nanoTime();
        MongoCollection<Document> patients = mongo.database().getCollection(name);
        ObjectId objectId = new ObjectId();
        // In MongoDB's order: numbers, strings, ObjectIds, booleans.
        List<Object> ids = List.of(7, "p-1", objectId, true);
        ids.forEach(id -> patients.insertOne(new Document("_id", id)));
        WatchedCollection watched = watched(name);
        MongoSourceCopy copy = copy(watched);

        List<Object> copied = new ArrayList<>();
        SourceCopy.Chunk chunk = copy.readChunk(name, "", 2, marks(4));
        copied.addAll(ids(chunk));
        // Inserted after the copy began: past its last key (a date sorts after a boolean) it is the stream's alone;
        // before it, a later chunk may read it too.
        patients.insertOne(new Document("_id", new java.util.Date()));
        patients.insertOne(new Document("_id", 8));
        patients.insertOne(new Document("_id", new ObjectId()));
        int chunks = 1;
        while (!chunk.done()) {
            chunk = copy.readChunk(name, chunk.position(), 2, marks(4 + chunks++));
            copied.addAll(ids(chunk));
        }
        assertThat(copied).hasSize(5).containsSubsequence(7, "p-1", objectId, true).doesNotContain(8)
            .noneMatch(java.util.Date.class::isInstance);
    }

    /** The ids a chunk's documents carry, in order (versioned at a made-up high watermark). */
    private static List<Object> ids(SourceCopy.Chunk chunk) {
        List<Object> ids = new ArrayList<>();
        chunk.changes(HIGH).forEach(change -> {
            BsonDocument document = BsonDocument.parse(((EntityChange) change.records().get(0)).documentJson());
            BsonValue id = document.get("_id");
            ids.add(id.isInt32() ? (Object) id.asInt32().getValue() : id.isString() ? id.asString().getValue()
                : id.isObjectId() ? id.asObjectId().getValue() : id.isBoolean() ? id.asBoolean().getValue()
                : new java.util.Date(id.asDateTime().getValue()));
        });
        return ids;
    }

    private static List<Change.Watermark> watermarks(ChangeSource.ChangeFeed feed, int count) {
        List<Change.Watermark> marks = new ArrayList<>();
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            feed.poll().stream().filter(Change.Watermark.class::isInstance).map(Change.Watermark.class::cast)
                .forEach(marks::add);
            return marks.size() >= count;
        });
        return marks;
    }

    private static SourceCopy.Watermarks marks(int chunk) {
        return new SourceCopy.Watermarks("r", "r/" + chunk + "/low", "r/" + chunk + "/high");
    }

    private static WatchedCollection watched(String name) {
        EntitySource source = new EntitySource(name, "patient", mongo.database().getName(), name,
            EntitySource.DEFAULT_MAX_RECORD_BYTES, false);
        return new WatchedCollection(name, mongo.database().getName(), name,
            new EntityChanges(source, mongo.database().getCollection(name, BsonDocument.class)));
    }

    private static MongoSourceCopy copy(WatchedCollection watched) {
        return new MongoSourceCopy(mongo.client(), List.of(new CopiedCollection(watched.name(), watched,
            List.of("_id"), true)));
    }

    private static MongoChangeSource source(WatchedCollection watched) {
        return MongoChangeSource.of(mongo.client(), List.of(watched), ChangeStreamTail.Settings.DEFAULT);
    }
}
