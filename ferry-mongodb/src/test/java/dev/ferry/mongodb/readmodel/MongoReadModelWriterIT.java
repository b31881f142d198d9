package dev.ferry.mongodb.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.projection.contract.ReadModelWriterContract;
import dev.ferry.mongodb.MongoTestDatabase;

/**
 * MongoDB read models keep the {@link ReadModelWriterContract}: each change applied exactly once, only as the next
 * version; a gap refused, a skip leaves a marker. The apply log is the writer's {@code _applyLog}; the independent
 * log of writes a change stream on the read-model collection.
 */
@Timeout(60)
class MongoReadModelWriterIT extends ReadModelWriterContract {

    private static MongoTestDatabase mongo;
    static MongoDatabase database;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_readmodel");
        database = mongo.database();
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    @Override
    protected ReadModelWriter newWriter() {
        return new MongoReadModelWriter(database, true);
    }

    @Override
    protected Stored stored(Projection projection, String aggregateId) {
        Document document = database.getCollection(projection.name()).find(new Document("_id", aggregateId)).first();
        if (document == null) {
            return null;
        }
        Document state = document.get(MongoReadModelWriter.STATE, Document.class);
        List<Document> skipped = document.getList(MongoReadModelWriter.SKIPPED, Document.class, List.of());
        return new Stored(document.getLong(MongoReadModelWriter.VERSION),
            Boolean.TRUE.equals(document.getBoolean(MongoReadModelWriter.DELETED)),
            state == null ? null : new LinkedHashMap<>(state), document.getString("_lastEventId"),
            document.getList(MongoReadModelWriter.APPLY_LOG, Long.class, List.of()),
            skipped.stream().map(marker -> new Skip(marker.getString("eventId"), marker.getString("reason"))).toList());
    }

    @Override
    protected WriteLog watch(Projection projection) {
        MongoCollection<Document> collection = database.getCollection(projection.name());
        ReadModelWrites watched = ReadModelWrites.watch(collection);
        return new WriteLog() {
            @Override
            public List<Write> untilNow() {
                return watched.untilNow(collection, Duration.ofSeconds(30)).stream()
                    .map(write -> new Write(write.id(), write.version())).toList();
            }

            @Override
            public void close() {
                watched.close();
            }
        };
    }

    @Test
    void aRunWhoseChangeIsNoJsonObjectFailsAloneAndItsNeighboursInTheSameCallAreWritten() {
        ReadModelWriter writer = newWriter();
        Projection projection = projection();

        List<List<ReadModelWriter.Outcome>> outcomes = writer.applyRuns(projection, List.of(
            List.of(new ReadModelWriter.Step(event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\"}"))),
            List.of(new ReadModelWriter.Step(new Event("x-1", "patient", "p-2", 1, "Registered", Instant.now(), "{}",
                EventMetadata.NONE), new ReadModelChange.Put("not json")))));

        assertThat(outcomes).containsExactly(List.of(ReadModelWriter.Outcome.APPLIED), null);
        assertThat(stored(projection, "p-1").state()).containsEntry("name", "Ada");
        assertThat(stored(projection, "p-2")).isNull();
    }
}
