package dev.ferry.mongodb.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;

import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.codecs.DocumentCodec;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;

/** The commit format read in one pass: what was written comes back, and every malformed commit is named. */
class CommitDocumentsTest {

    private static final Instant AT = Instant.parse("2026-11-23T16:00:00.123Z");

    private static final List<Event> EVENTS = List.of(
        new Event("e-1", "patient", "p-1", 4, "PatientRegistered", AT, "{\"name\": \"Ada\"}", new EventMetadata("c-1", null)),
        new Event("e-2", "patient", "p-1", 5, "PatientMoved", AT.plusMillis(1), "{\"ward\": 7, \"nested\": {\"a\": [1, 2]}}",
            new EventMetadata(null, "e-1")));

    private static RawBsonDocument raw(Document document) {
        return new RawBsonDocument(document, new DocumentCodec());
    }

    @Test
    void aCommitReadsBackAsTheEventsWrittenWhetherRawOrParsed() {
        Document commit = CommitDocuments.encode(EVENTS);

        assertThat(CommitDocuments.decode(raw(commit))).isEqualTo(EVENTS);
        assertThat(CommitDocuments.decode(raw(commit).toBsonDocument())).isEqualTo(EVENTS);
        // As the driver hands a change's full document over: raw, inside a larger buffer.
        BsonDocument inner = raw(new Document("before", "x".repeat(100)).append("fullDocument", commit)).getDocument("fullDocument");
        assertThat(inner).isInstanceOf(RawBsonDocument.class);
        assertThat(CommitDocuments.decode(inner)).isEqualTo(EVENTS);
    }

    @Test
    void fieldOrderDoesNotMatter() {
        Document written = CommitDocuments.encode(EVENTS);
        Document reordered = new Document("events", written.get("events")).append("unknown", 1)
            .append("lastVersion", 5).append("committedAt", written.get("committedAt")).append("firstVersion", 4)
            .append("aggregateId", "p-1").append("aggregateType", "patient");

        assertThat(CommitDocuments.decode(raw(reordered))).isEqualTo(EVENTS);
    }

    @Test
    void aPayloadReadsAsTheDriversRelaxedJsonOfItWhateverItsTypes() {
        String payload = "{\"s\": \"quote \\\" backslash \\\\ tab \\t nl \\n ctl \\u0001 \\u2028 é 😀\", \"i\": 1,"
            + " \"l\": 12345678901, \"d\": 1.5, \"e\": 1.0E300, \"b\": true, \"n\": null, \"a\": [1, {\"x\": []}],"
            + " \"date\": {\"$date\": \"2026-11-23T16:00:00.123Z\"}, \"oid\": {\"$oid\": \"5f1d7a3e9b1e8a3c4d5e6f70\"},"
            + " \"dec\": {\"$numberDecimal\": \"1.10\"}, \"bin\": {\"$binary\": {\"base64\": \"AQI=\", \"subType\": \"00\"}},"
            + " \"nan\": {\"$numberDouble\": \"NaN\"}, \"big\": {\"$numberLong\": \"9007199254740993\"}}";
        Event event = new Event("e-1", "patient", "p-1", 1, "Typed", AT, payload, new EventMetadata(null, null));

        String read = CommitDocuments.decode(raw(CommitDocuments.encode(List.of(event)))).get(0).payloadJson();

        assertThat(read).isEqualTo(BsonDocument.parse(payload)
            .toJson(JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build()));
        assertThat(BsonDocument.parse(read)).isEqualTo(BsonDocument.parse(payload));
    }

    @Test
    void everyMalformedCommitIsNamed() {
        Document good = CommitDocuments.encode(EVENTS);
        assertMalformed(copy(good).append("aggregateId", " "), "'aggregateId' must be a non-empty string");
        assertMalformed(without(good, "aggregateType"), "'aggregateType' must be a non-empty string");
        assertMalformed(copy(good).append("firstVersion", 0), "'firstVersion' must be at least 1, was 0");
        assertMalformed(copy(good).append("firstVersion", "4"), "'firstVersion' must be an integer");
        assertMalformed(copy(good).append("events", "none"), "'events' must be a non-empty array");
        assertMalformed(copy(good).append("events", List.of()), "'events' must be a non-empty array");
        assertMalformed(withEvent(good, 1, "x"), "events[1] must be a document");
        assertMalformed(withEventField(good, 1, "version", 7), "events[1].version is 7, expected 5");
        assertMalformed(withEventField(good, 1, "payload", "{}"), "events[1].payload must be a document");
        assertMalformed(withEventField(good, 0, "timestamp", AT.toString()), "events[0].timestamp must be a date");
        assertMalformed(withEventField(good, 0, "eventId", ""), "'eventId' must be a non-empty string");
    }

    private static void assertMalformed(Document commit, String reason) {
        assertThatThrownBy(() -> CommitDocuments.decode(raw(commit)))
            .isInstanceOf(CommitDocuments.MalformedCommit.class).hasMessage(reason);
    }

    private static Document copy(Document document) {
        return Document.parse(document.toJson());
    }

    private static Document without(Document document, String field) {
        Document copy = copy(document);
        copy.remove(field);
        return copy;
    }

    @SuppressWarnings("unchecked")
    private static Document withEvent(Document document, int index, Object event) {
        Document copy = copy(document);
        ((List<Object>) copy.get("events")).set(index, event);
        return copy;
    }

    @SuppressWarnings("unchecked")
    private static Document withEventField(Document document, int index, String field, Object value) {
        Document copy = copy(document);
        ((List<Document>) copy.get("events")).get(index).append(field, value);
        return copy;
    }
}
