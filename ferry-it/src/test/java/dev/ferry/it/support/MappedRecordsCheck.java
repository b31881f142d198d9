package dev.ferry.it.support;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bson.BsonDocument;
import org.bson.BsonValue;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.VersionRule;

/**
 * Compares every published record of an expected event with that event field by field — topic ({@code prefix +
 * aggregateType}), key (the aggregate id), and in the value the event id, aggregate type and id, version, event type,
 * timestamp, payload (as BSON, so key order and number spelling do not matter), correlation and causation ids and the
 * version rule. The record value is parsed as plain JSON by the driver's parser, not by Ferry's decoder, so the check
 * holds even if both of Ferry's sides were wrong the same way.
 *
 * @param checked    records compared (an event sent twice is compared twice)
 * @param missing    expected events with no record at all
 * @param mismatches what differs, one line per differing field (the first few)
 */
public record MappedRecordsCheck(int checked, int missing, int mismatchCount, List<String> mismatches) {

    private static final int EXAMPLES = 20;

    public static MappedRecordsCheck of(List<Event> expected, String topicPrefix,
                                        Map<String, List<ConsumerRecord<String, byte[]>>> recordsByTopic) {
        Map<String, Event> byId = new HashMap<>();
        expected.forEach(event -> byId.put(event.eventId(), event));
        Set<String> seen = new HashSet<>();
        List<String> mismatches = new ArrayList<>();
        int[] count = {0};
        int checked = 0;
        for (List<ConsumerRecord<String, byte[]>> records : recordsByTopic.values()) {
            for (ConsumerRecord<String, byte[]> record : records) {
                BsonDocument value = BsonDocument.parse(new String(record.value(), UTF_8));
                BsonValue eventId = value.get("eventId");
                Event event = eventId != null && eventId.isString() ? byId.get(eventId.asString().getValue()) : null;
                if (event == null) {
                    continue; // not one of the expected events (DeliveryCheck counts unknown records)
                }
                checked++;
                seen.add(event.eventId());
                String where = record.topic() + "/" + record.partition() + "@" + record.offset() + " (" + event.eventId() + ")";
                Mismatches m = new Mismatches(where, mismatches, count);
                m.compare("topic", topicPrefix + event.aggregateType(), record.topic());
                m.compare("key", event.aggregateId(), record.key());
                m.compare("aggregateType", event.aggregateType(), text(value, "aggregateType"));
                m.compare("aggregateId", event.aggregateId(), text(value, "aggregateId"));
                m.compare("version", event.version(),
                    value.isNumber("version") ? value.getNumber("version").longValue() : value.get("version"));
                m.compare("eventType", event.eventType(), text(value, "eventType"));
                m.compare("timestamp", event.timestamp(), instant(text(value, "timestamp")));
                m.compare("payload", BsonDocument.parse(event.payloadJson()), value.get("payload"));
                BsonDocument metadata = value.isDocument("metadata") ? value.getDocument("metadata") : new BsonDocument();
                m.compare("correlationId", event.metadata().correlationId(), text(metadata, "correlationId"));
                m.compare("causationId", event.metadata().causationId(), text(metadata, "causationId"));
                // Absent means contiguous (the wire format's rule).
                m.compare("versionRule", event.versionRule() == VersionRule.CONTIGUOUS ? null : event.versionRule().wireName(),
                    text(value, "versionRule"));
            }
        }
        int missing = (int) byId.keySet().stream().filter(id -> !seen.contains(id)).count();
        return new MappedRecordsCheck(checked, missing, count[0], List.copyOf(mismatches));
    }

    private static String text(BsonDocument document, String field) {
        BsonValue value = document.get(field);
        return value == null || value.isNull() ? null : value.isString() ? value.asString().getValue() : value.toString();
    }

    private static Object instant(String text) {
        try {
            return text == null ? null : Instant.parse(text);
        } catch (RuntimeException e) {
            return text;
        }
    }

    private record Mismatches(String where, List<String> lines, int[] count) {
        void compare(String field, Object expected, Object actual) {
            if (!Objects.equals(expected, actual)) {
                count[0]++;
                if (lines.size() < EXAMPLES) {
                    lines.add(where + " " + field + ": " + actual + " instead of " + expected);
                }
            }
        }
    }
}
