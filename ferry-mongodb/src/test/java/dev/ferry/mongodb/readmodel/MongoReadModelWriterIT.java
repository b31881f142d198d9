package dev.ferry.mongodb.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoDatabase;

import dev.ferry.mongodb.MongoTestDatabase;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter.Outcome;

/** Each change is applied exactly once, only as the next version; a gap is refused, a skip leaves a marker. */
@Timeout(60)
class MongoReadModelWriterIT {

    private static MongoTestDatabase mongo;
    private static MongoDatabase database;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_readmodel");
        database = mongo.database();
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    private static Projection projection() {
        return Projection.named("patients_" + System.nanoTime()).forAggregateTypes("patient").build();
    }

    private static Event event(long version, String type) {
        return new Event("e-" + version, "patient", "p-1", version, type, Instant.now(), "{}", EventMetadata.NONE);
    }

    private static Document document(Projection projection) {
        return database.getCollection(projection.name()).find(new Document("_id", "p-1")).first();
    }

    @Test
    void appliesInVersionOrderAndSkipsDuplicates() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, true);
        Projection projection = projection();

        assertThat(writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\",\"ward\":1}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Eve\"}")))
            .isEqualTo(Outcome.DUPLICATE);
        assertThat(writer.apply(projection, event(2, "Moved"), new ReadModelChange.Merge("{\"ward\":2}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, event(3, "Noted"), ReadModelChange.UNCHANGED)).isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, event(2, "Moved"), new ReadModelChange.Merge("{\"ward\":9}")))
            .isEqualTo(Outcome.DUPLICATE);

        Document document = document(projection);
        assertThat(document.get("_version")).isEqualTo(3L);
        assertThat(document.get("state", Document.class)).containsEntry("name", "Ada").containsEntry("ward", 2);
        assertThat(document.getList("_applyLog", Long.class)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void refusesAGapAndWritesNothing() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, false);
        Projection projection = projection();
        writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\"}"));

        assertThat(writer.apply(projection, event(3, "Moved"), new ReadModelChange.Merge("{\"ward\":3}")))
            .isEqualTo(Outcome.GAP);
        assertThat(writer.version(projection, "p-1")).isEqualTo(1);
        assertThat(document(projection).get("state", Document.class)).doesNotContainKey("ward");
    }

    @Test
    void aRemovalLeavesATombstoneThatKeepsTheVersionAndASkipLeavesAMarker() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, false);
        Projection projection = projection();
        writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\"}"));
        writer.apply(projection, event(2, "Discharged"), ReadModelChange.REMOVE);
        assertThat(writer.skip(projection, event(3, "Broken"), "operator")).isEqualTo(Outcome.APPLIED);

        Document document = document(projection);
        assertThat(document).containsEntry("_deleted", true).doesNotContainKey("state").containsEntry("_version", 3L);
        assertThat(document.getList("_skipped", Document.class)).singleElement()
            .satisfies(marker -> assertThat(marker).containsEntry("eventId", "e-3").containsEntry("reason", "operator"));
        assertThat(writer.apply(projection, event(2, "Discharged"), ReadModelChange.REMOVE)).isEqualTo(Outcome.DUPLICATE);
    }
}
