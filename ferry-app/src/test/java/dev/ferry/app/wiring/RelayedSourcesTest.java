package dev.ferry.app.wiring;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.config.SourceConfig;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.mongodb.changestream.WatchedCollection;

/**
 * A configured events source reads its documents exactly as its settings say; a commits source reads commits; an
 * entities source reads every operation.
 */
class RelayedSourcesTest {

    private static final TopicNaming TOPICS = new TopicNaming("ferry.");
    private static final ResumeToken TOKEN = new ResumeToken("{\"_data\": \"01\"}");
    /** Sources only hold collections; nothing here reads them, so no server is needed (the driver connects lazily). */
    private static final MongoClient NOT_CONNECTED = MongoClients.create("mongodb://127.0.0.1:9");

    @AfterAll
    static void closeClient() {
        NOT_CONNECTED.close();
    }

    @Test
    void anEventsSourceReadsItsDocumentsByItsMapping() {
        SourceConfig.Events config = new SourceConfig.Events(null, "clinic", "patient_events", null, null,
            new SourceConfig.Events.Stream("streamId", null, null), List.of("patient"), null, "revision", 0, "increasing",
            "type", null, "createdAt", "data", Map.of("correlationId", "meta.correlationId"), "copy");

        List<WatchedCollection> watched = RelayedSources.watched(List.of(config), TOPICS, NOT_CONNECTED, NOT_CONNECTED.getDatabase("ferry"));

        assertThat(RelayedSources.copyable(List.of(config), TOPICS, NOT_CONNECTED, NOT_CONNECTED.getDatabase("ferry"))).singleElement()
            .satisfies(copied -> assertThat(copied.orderBy()).containsExactly("streamId", "revision"));
        assertThat(RelayedSources.copiedFirst(List.of(config))).containsExactly("patient_events");
        assertThat(watched).singleElement().satisfies(collection -> {
            assertThat(collection.database()).isEqualTo("clinic");
            assertThat(collection.collection()).isEqualTo("patient_events");
            Change change = collection.reader().read(TOKEN, BsonDocument.parse("""
                {_id: "e-1", streamId: "patient-7", type: "Registered", revision: 4, data: {n: 1},
                 meta: {correlationId: "c"}, createdAt: {$date: "2026-12-01T10:00:00Z"}}"""));
            assertThat(change).isInstanceOf(Change.MappedEvent.class);
            Event event = ((Change.MappedEvent) change).event();
            assertThat(event.aggregateType()).isEqualTo("patient");
            assertThat(event.aggregateId()).isEqualTo("7");
            assertThat(event.version()).isEqualTo(5);
            assertThat(event.versionRule()).isEqualTo(VersionRule.INCREASING);
            assertThat(event.metadata().correlationId()).isEqualTo("c");
            assertThat(collection.reader().read(TOKEN, BsonDocument.parse("{_id: 'e-2', type: 'T'}")))
                .isInstanceOf(Change.Refused.class)
                .extracting(c -> ((Change.Refused) c).reason()).asString().contains("field 'streamId': missing");
        });
    }

    @Test
    void anEntitiesSourceReadsEveryOperationAndIsCopiedInIdOrder() {
        SourceConfig.Entities config = new SourceConfig.Entities(null, "clinic", "patients", "patient");

        assertThat(RelayedSources.watched(List.of(config), TOPICS, NOT_CONNECTED, NOT_CONNECTED.getDatabase("ferry"))).singleElement()
            .satisfies(watched -> assertThat(watched.readsEveryOperation()).isTrue());
        assertThat(RelayedSources.copyable(List.of(config), TOPICS, NOT_CONNECTED, NOT_CONNECTED.getDatabase("ferry"))).singleElement()
            .satisfies(copied -> {
                assertThat(copied.orderBy()).containsExactly("_id");
                assertThat(copied.uniqueOrder()).isTrue();
            });
        assertThat(RelayedSources.copiedFirst(List.of(config))).containsExactly("patients");
    }

    @Test
    void aCommitsSourceReadsCommits() {
        List<WatchedCollection> watched = RelayedSources.watched(
            List.of(new SourceConfig.Commits(null, "ferry", "events", null)), TOPICS, NOT_CONNECTED, NOT_CONNECTED.getDatabase("ferry"));

        assertThat(watched.get(0).reader().read(TOKEN, BsonDocument.parse("{aggregateType: 'patient'}")))
            .isInstanceOf(Change.Refused.class)
            .extracting(c -> ((Change.Refused) c).reason()).asString().startsWith("not a valid commit");
    }
}
