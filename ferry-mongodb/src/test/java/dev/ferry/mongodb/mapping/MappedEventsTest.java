package dev.ferry.mongodb.mapping;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.Map;
import java.util.regex.Pattern;

import org.bson.BsonDocument;
import org.bson.types.ObjectId;
import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.partition.TopicNaming;

/** Documents of event stores in the users' own schemas, read as Ferry's events; what cannot be read names the field. */
class MappedEventsTest {

    private static final TopicNaming TOPICS = new TopicNaming("ferry.");

    /** The schema of the brief: {streamId: "patient-123", type, revision, data, meta, createdAt}, revisions from 0. */
    private static final EventMapping STREAM_IDS = new EventMapping(
        EventMapping.AggregateType.Derived.bySeparator("streamId", "-"), null, "revision", 0, VersionRule.CONTIGUOUS,
        "type", null, "createdAt", "data", Map.of("correlationId", "meta.correlationId"));

    @Test
    void aStreamIdCarriesTypeAndIdAndRevisionsCountFromZero() {
        BsonDocument document = BsonDocument.parse("""
            {_id: "evt-1", streamId: "patient-123-a", type: "PatientRegistered", revision: 0,
             data: {name: "Ada", ward: {$numberLong: "3"}}, meta: {correlationId: "c-9", user: "u"},
             createdAt: {$date: "2026-12-01T10:00:00.123Z"}}""");

        Event event = new MappedEvents(STREAM_IDS, TOPICS).read(document);

        assertThat(event).isEqualTo(new Event("evt-1", "patient", "123-a", 1, "PatientRegistered",
            Instant.parse("2026-12-01T10:00:00.123Z"), "{\"name\": \"Ada\", \"ward\": 3}", new EventMetadata("c-9", null),
            VersionRule.CONTIGUOUS));
    }

    @Test
    void aConstantTypeWithTheRestOfTheDocumentAsPayloadAndTheObjectIdsTimeAsTimestamp() {
        ObjectId id = new ObjectId();
        EventMapping mapping = new EventMapping(new EventMapping.AggregateType.Constant("practitioner"), "practitionerId",
            "version", 1, VersionRule.INCREASING, "kind", null, null, null, Map.of());
        BsonDocument document = new BsonDocument("_id", new org.bson.BsonObjectId(id))
            .append("practitionerId", new org.bson.BsonString("pr-7"))
            .append("version", new org.bson.BsonDouble(5_000_000_000d)) // a JavaScript number past int32
            .append("kind", new org.bson.BsonString("Hired"))
            .append("name", new org.bson.BsonString("Grace"));

        Event event = new MappedEvents(mapping, TOPICS).read(new org.bson.RawBsonDocument(document,
            new org.bson.codecs.BsonDocumentCodec())); // as a change stream delivers it: raw, immutable

        assertThat(event.eventId()).isEqualTo(id.toHexString());
        assertThat(event.aggregateType()).isEqualTo("practitioner");
        assertThat(event.aggregateId()).isEqualTo("pr-7");
        assertThat(event.version()).isEqualTo(5_000_000_000L);
        assertThat(event.versionRule()).isEqualTo(VersionRule.INCREASING);
        assertThat(event.timestamp()).isEqualTo(Instant.ofEpochSecond(id.getTimestamp()));
        assertThat(event.payloadJson()).isEqualTo("{\"name\": \"Grace\"}");
    }

    @Test
    void aRegexNamesTypeAndIdAndInt32VersionsCountFromOne() {
        EventMapping mapping = new EventMapping(new EventMapping.AggregateType.Derived("stream",
            Pattern.compile("^(?<type>[a-z]+):(?<id>.+)$")), null, "v", 1, VersionRule.CONTIGUOUS, "t", "eid", "at", "body",
            Map.of("causationId", "cause"));
        BsonDocument document = BsonDocument.parse("""
            {eid: 42, stream: "order:o-1", v: 3, t: "Placed", at: "2026-12-01T10:00:00Z", body: {}, cause: "e-0"}""");

        Event event = new MappedEvents(mapping, TOPICS).read(document);

        assertThat(event.aggregateType()).isEqualTo("order");
        assertThat(event.aggregateId()).isEqualTo("o-1");
        assertThat(event.version()).isEqualTo(3);
        assertThat(event.eventId()).isEqualTo("42");
        assertThat(event.metadata()).isEqualTo(new EventMetadata(null, "e-0"));
    }

    @Test
    void theRestOfTheDocumentLosesMappedFieldsAndWhatOnlyHeldThem() {
        EventMapping mapping = new EventMapping(new EventMapping.AggregateType.Constant("patient"), "id", "v", 1,
            VersionRule.CONTIGUOUS, "t", null, "at", null, Map.of("correlationId", "meta.c", "causationId", "trace.by"));
        BsonDocument document = BsonDocument.parse("""
            {_id: "e", id: "p", v: 1, t: "T", at: "2026-12-01T10:00:00Z", meta: {c: "c-1", user: "u"}, trace: {by: "x"},
             name: "Ada"}""");

        assertThat(new MappedEvents(mapping, TOPICS).read(document).payloadJson())
            .isEqualTo("{\"meta\": {\"user\": \"u\"}, \"name\": \"Ada\"}");
    }

    @Test
    void anUnmappableDocumentNamesTheFieldAndTheReason() {
        MappedEvents events = new MappedEvents(STREAM_IDS, TOPICS);
        String valid = "_id: 'e', type: 'T', createdAt: {$date: '2026-12-01T10:00:00Z'}, data: {}";

        assertThatThrownBy(() -> events.read(BsonDocument.parse("{" + valid + ", revision: 0}")))
            .isInstanceOf(UnmappableDocument.class).hasMessage("field 'streamId': missing");
        assertThatThrownBy(() -> events.read(BsonDocument.parse("{" + valid + ", streamId: 'patient', revision: 0}")))
            .hasMessageStartingWith("field 'streamId': 'patient' does not match");
        assertThatThrownBy(() -> events.read(BsonDocument.parse("{" + valid + ", streamId: 'pa tient-1', revision: 0}")))
            .hasMessageContaining("field 'streamId': aggregate type 'pa tient' may only contain");
        assertThatThrownBy(() -> events.read(BsonDocument.parse("{" + valid + ", streamId: 'patient-1', revision: '1'}")))
            .hasMessage("field 'revision': expected an integer, got string");
        assertThatThrownBy(() -> events.read(BsonDocument.parse("{" + valid + ", streamId: 'patient-1', revision: -1}")))
            .hasMessage("field 'revision': version -1 is below versionBase 0");
        assertThatThrownBy(() -> events.read(BsonDocument.parse("{" + valid + ", streamId: 'patient-1', "
            + "revision: {$numberLong: '9223372036854775807'}}")))
            .hasMessage("field 'revision': version 9223372036854775807 is too large");
        assertThatThrownBy(() -> new MappedEvents(new EventMapping(new EventMapping.AggregateType.Derived("s",
            Pattern.compile("^(?<type>[a-z]+)(-(?<id>.+))?$")), null, "v", 1, VersionRule.CONTIGUOUS, "t", null, "at",
            null, Map.of()), TOPICS).read(BsonDocument.parse("{_id: 'e', s: 'patient', v: 1, t: 'T', at: '2026-12-01T10:00:00Z'}")))
            .hasMessage("field 's': 'patient' gives no type or no id");
        assertThatThrownBy(() -> events.read(BsonDocument.parse(
            "{_id: 'e', type: 'T', createdAt: 'yesterday', data: {}, streamId: 'patient-1', revision: 0}")))
            .hasMessage("field 'createdAt': not an ISO-8601 instant: 'yesterday'");
        assertThatThrownBy(() -> events.read(BsonDocument.parse(
            "{_id: 'e', type: 'T', createdAt: {$date: '2026-12-01T10:00:00Z'}, data: [1], streamId: 'patient-1', revision: 0}")))
            .hasMessage("field 'data': expected a document, got array");
    }
}
