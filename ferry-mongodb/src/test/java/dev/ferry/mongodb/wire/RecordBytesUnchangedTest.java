package dev.ferry.mongodb.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.bson.BsonDocument;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.junit.jupiter.api.Test;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.partition.PartitionKey;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.wire.EventJson;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.core.wire.RecordEncoder;
import dev.ferry.core.wire.RecordEncoding;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.mapping.EventMapping;
import dev.ferry.mongodb.store.CanonicalJson;

/**
 * The bytes of every record the relay sends — key, headers in order, value — for documents of each source kind, as
 * they were before the relay's encoding was made cheaper (captured from that code into {@code wire/*.golden}): a
 * consumer in any language reads today's records exactly as it read yesterday's. Commits of several events, mapped
 * events of a user's schema, entity inserts, updates, deletes with their tombstones, unicode, escapes, control
 * characters, large and odd numbers, dates, and the dead letters of documents refused by the bad-input validation.
 * <p>
 * To capture the golden files again (only ever from code whose bytes are known right): run with
 * {@code -Dferry.golden.write=<dir of ferry-mongodb/src/test/resources/wire>}.
 */
class RecordBytesUnchangedTest {

    private static final ResumeToken TOKEN = new ResumeToken("{\"_data\": \"8266F0A1B2000000012B022C0100296E5A1004\"}");
    private static final RecordPublisher.Provenance PROVENANCE = new RecordPublisher.Provenance("relay-a:1234", 7, 42);

    /** Strings, numbers, dates and nesting a payload may hold, each a case for the JSON writer. */
    private static final String PAYLOAD = """
        {name: "Zoë \\"the\\" Ünïcødé — 日本語 😀", path: "C:\\\\dir\\\\file", lines: "a\\nb\\r\\tc\\u0001\\u001f\\u007f",
         html: "<script>&'</script>", slash: "a/b", empty: "", spaces: "  ",
         int: 42, negative: -7, long: {$numberLong: "9223372036854775807"}, minLong: {$numberLong: "-9223372036854775808"},
         double: 3.14159, big: 1.0e300, small: 1.0e-300, whole: 5.0, negZero: -0.0, nan: NaN, inf: Infinity,
         decimal: {$numberDecimal: "12345678901234567890.123456789"}, bool: true, nothing: null,
         date: {$date: "2026-12-07T08:00:00.123Z"}, oldDate: {$date: {$numberLong: "-62135596800000"}},
         farDate: {$date: {$numberLong: "253402300800000"}},
         oid: {$oid: "6650f1a2b3c4d5e6f7a8b9c0"}, bin: {$binary: {base64: "AAEC/w==", subType: "00"}},
         uuid: {$binary: {base64: "c3VyZS4uLmp1c3QgdGVzdA==", subType: "04"}},
         ts: {$timestamp: {t: 1764670000, i: 5}}, regex: {$regularExpression: {pattern: "^a.*\\"", options: "i"}},
         min: {$minKey: 1}, max: {$maxKey: 1}, symbol: {$symbol: "sym"}, code: {$code: "x = 1"},
         nested: {a: [1, "two", {three: [3.0, {$numberLong: "4"}]}, []], b: {}},
         "key with \\"quotes\\" and ü": 1}""";

    @Test
    void commitsOfSeveralEventsAreTheSameBytes() {
        List<String> out = new ArrayList<>();
        Change.Commit commit = (Change.Commit) DocumentReaders.commits().read(TOKEN, raw("""
            {_id: {$oid: "6650f1a2b3c4d5e6f7a8b9c1"}, aggregateType: "patient", aggregateId: "p-1 \\"ü\\"",
             firstVersion: 3, lastVersion: {$numberLong: "5"}, committedAt: {$date: "2026-12-07T08:00:00Z"},
             events: [
              {eventId: "e-3", version: 3, eventType: "PatientRegistered", timestamp: {$date: "2026-12-07T08:00:00Z"},
               payload: %s, metadata: {correlationId: "corr \\"1\\"\\n", causationId: null}},
              {eventId: "e-4", version: {$numberLong: "4"}, eventType: "Renamed", timestamp: {$date: "2026-12-07T08:00:00.100Z"},
               payload: {}, metadata: {}},
              {eventId: "e-5", version: 5, eventType: "Ünïcødé", timestamp: {$date: "1970-01-01T00:00:00Z"},
               payload: {text: "plain ascii", n: 1}, metadata: {correlationId: "c", causationId: "e-4"}}]}"""
            .formatted(PAYLOAD)));
        for (FerryRecord record : commit.records()) {
            write(out, record);
        }
        assertGolden("commits.golden", out);
    }

    @Test
    void mappedEventsOfAUsersSchemaAreTheSameBytes() {
        List<String> out = new ArrayList<>();
        TopicNaming topics = new TopicNaming("ferry.");
        EventMapping streamIds = new EventMapping(EventMapping.AggregateType.Derived.bySeparator("streamId", "-"), null,
            "revision", 0, VersionRule.CONTIGUOUS, "type", null, "createdAt", "data",
            Map.of("correlationId", "meta.correlationId"));
        EventMapping restIsPayload = new EventMapping(new EventMapping.AggregateType.Constant("practitioner"),
            "practitionerId", "version", 1, VersionRule.INCREASING, "kind", null, null, null, Map.of());
        write(out, DocumentReaders.mappedEvents(streamIds, topics).read(TOKEN, raw("""
            {_id: "evt-1", streamId: "patient-123-a", type: "PatientRegistered", revision: 0, data: %s,
             meta: {correlationId: "c-9", user: "u"}, createdAt: {$date: "2026-12-01T10:00:00.123Z"}}"""
            .formatted(PAYLOAD))).records().get(0));
        write(out, DocumentReaders.mappedEvents(streamIds, topics).read(TOKEN, raw("""
            {_id: "evt-2", streamId: "patient-123-a", type: "Moved", revision: 1, data: {to: "ward ✚ 3"},
             createdAt: "2026-12-01T10:00:01.5+01:00"}""")).records().get(0));
        write(out, DocumentReaders.mappedEvents(restIsPayload, topics).read(TOKEN, raw("""
            {_id: {$oid: "6650f1a2b3c4d5e6f7a8b9c2"}, practitionerId: "pr-7", version: 5000000000.0, kind: "Hired",
             name: "Grace", extra: %s}""".formatted(PAYLOAD))).records().get(0));
        assertGolden("mapped-events.golden", out);
    }

    @Test
    void entityChangesAndTombstonesAreTheSameBytes() {
        List<String> out = new ArrayList<>();
        String document = CanonicalJson.of(raw("{_id: {$oid: \"6650f1a2b3c4d5e6f7a8b9c3\"}, profile: %s}"
            .formatted(PAYLOAD)));
        String before = CanonicalJson.of(raw("{_id: {$oid: \"6650f1a2b3c4d5e6f7a8b9c3\"}, name: \"Ada\", visits: 2}"));
        EntityVersion created = EntityVersion.ofClusterTime(1764670000L, 5, 1);
        EntityVersion updated = EntityVersion.ofClusterTime(4294967295L, 4294967295L, 12);
        write(out, new Change.EntityChanged(TOKEN, new EntityChange("patient", "6650f1a2b3c4d5e6f7a8b9c3",
            EntityOperation.CREATE, created, document, null, "clinic", "patients", 1764670000L, 5)));
        write(out, new Change.EntityChanged(TOKEN, new EntityChange("patient", "6650f1a2b3c4d5e6f7a8b9c3",
            EntityOperation.UPDATE, updated, document, before, "clinic", "patients", 4294967295L, 4294967295L)));
        write(out, new Change.EntityChanged(TOKEN, new EntityChange("patient", "{\"$numberLong\": \"5\"}",
            EntityOperation.UPDATE, EntityVersion.ofField(9_223_372_036_854_775_807L), null, null, "clinic", "patients",
            0, 0)));
        write(out, new Change.EntityChanged(TOKEN, new EntityChange("patient", "name \"ü\" 😀",
            EntityOperation.DELETE, EntityVersion.ofFieldDelete(12), null, before, "clinic db", "pat\"ients",
            1764670001L, 1)));
        assertGolden("entity-changes.golden", out);
    }

    @Test
    void deadLettersOfRefusedDocumentsAreTheSameBytes() {
        List<String> out = new ArrayList<>();
        Change refusedCommit = DocumentReaders.commits().read(TOKEN, raw("""
            {_id: 1, aggregateType: "patient", aggregateId: "p-1", firstVersion: 1, lastVersion: 2,
             committedAt: {$date: "2026-12-07T08:00:00Z"},
             events: [{eventId: "e-1", version: 1, eventType: "A", timestamp: {$date: "2026-12-07T08:00:00Z"},
                       payload: {s: "ü\\n"}}]}"""));
        Change refusedMapped = DocumentReaders.mappedEvents(new EventMapping(
                new EventMapping.AggregateType.Constant("practitioner"), "practitionerId", "version", 1,
                VersionRule.INCREASING, "kind", null, null, null, Map.of()), new TopicNaming("ferry."))
            .read(TOKEN, raw("{_id: {$oid: \"6650f1a2b3c4d5e6f7a8b9c2\"}, practitionerId: \"pr-7\", version: \"x\"}"));
        for (Change change : List.of(refusedCommit, refusedMapped)) {
            Change.Refused refused = (Change.Refused) change;
            out.add("dead letter");
            out.add("header " + FerryHeaders.FERRY_REASON + " " + bytes(refused.reason().getBytes(UTF_8)));
            out.add("value " + bytes(EventJson.deadLetter(refused).getBytes(UTF_8)));
        }
        assertGolden("dead-letters.golden", out);
    }

    /** One encoder for every record of a test, as a publisher has: what it keeps from one record must not leak. */
    private final RecordEncoder encoder = RecordEncoding.encoder();

    private void write(List<String> out, Change change) {
        for (FerryRecord record : change.records()) {
            write(out, record);
        }
    }

    /** One record, by the static encoding and by the reused encoder: the same lines. */
    private void write(List<String> out, FerryRecord record) {
        List<String> once = new ArrayList<>();
        write(once, record, (r, header) -> RecordEncoding.encode(r, header));
        List<String> reused = new ArrayList<>();
        write(reused, record, encoder::encode);
        assertThat(reused).as("the reused encoder's record").isEqualTo(once);
        out.addAll(reused);
    }

    /** One record as a transport sends it: key, the record's headers in order, the provenance headers, the value. */
    private static void write(List<String> out, FerryRecord record, Encoding encoding) {
        out.add("record " + record.getClass().getSimpleName() + " type " + record.type() + " id "
            + bytes(record.recordId().getBytes(UTF_8)));
        out.add("key " + bytes(PartitionKey.of(record).getBytes(UTF_8)));
        byte[] value = encoding.encode(record, (name, text) -> out.add("header " + name + " "
            + bytes(text.getBytes(UTF_8))));
        FerryHeaders.forProvenance(PROVENANCE, (name, text) -> out.add("header " + name + " "
            + bytes(text.getBytes(UTF_8))));
        out.add(value == null ? "value null" : "value " + bytes(value));
    }

    /** A record's headers and value, as each of the two encodings makes them. */
    private interface Encoding {
        byte[] encode(FerryRecord record, java.util.function.BiConsumer<String, String> header);
    }

    /** Printable ASCII as it is (backslash doubled), every other byte as \xNN: exact, and readable in a diff. */
    private static String bytes(byte[] bytes) {
        StringBuilder text = new StringBuilder(bytes.length);
        for (byte b : bytes) {
            int c = b & 0xff;
            if (c == '\\') {
                text.append("\\\\");
            } else if (c >= 0x20 && c < 0x7f) {
                text.append((char) c);
            } else {
                text.append(String.format("\\x%02x", c));
            }
        }
        return text.toString();
    }

    /** A document as the change stream delivers it: raw BSON. */
    private static RawBsonDocument raw(String json) {
        return new RawBsonDocument(BsonDocument.parse(json), new BsonDocumentCodec());
    }

    private static void assertGolden(String name, List<String> lines) {
        String actual = String.join("\n", lines) + "\n";
        String writeTo = System.getProperty("ferry.golden.write");
        if (writeTo != null) {
            try {
                Files.writeString(Path.of(writeTo, name), actual, UTF_8);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        try (InputStream golden = RecordBytesUnchangedTest.class.getResourceAsStream("/wire/" + name)) {
            assertThat(golden).as("golden file wire/" + name).isNotNull();
            assertThat(actual).isEqualTo(new String(golden.readAllBytes(), UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
