package dev.ferry.mongodb.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonParseException;
import org.bson.json.JsonWriterSettings;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;

/**
 * The event store's document format: one document per commit (an atomic append of 1..n events of one
 * aggregate), so that appends need no transaction.
 * <pre>{_id, aggregateType, aggregateId, firstVersion, lastVersion, committedAt,
 *  events: [{eventId, version, eventType, timestamp, payload: {…}, metadata: {correlationId, causationId}}]}</pre>
 */
public final class CommitDocuments {

    static final String AGGREGATE_TYPE = "aggregateType";
    static final String AGGREGATE_ID = "aggregateId";
    static final String FIRST_VERSION = "firstVersion";
    static final String LAST_VERSION = "lastVersion";
    static final String EVENTS = "events";

    private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

    private CommitDocuments() {
    }

    static Document encode(List<Event> events) {
        Event first = events.get(0);
        List<Document> encoded = new ArrayList<>(events.size());
        for (Event event : events) {
            Document payload;
            try {
                payload = Document.parse(event.payloadJson());
            } catch (JsonParseException | ClassCastException e) {
                throw new IllegalArgumentException("payload of event " + event.eventType() + " of " + event.aggregateType()
                    + " " + event.aggregateId() + " is not a JSON object: " + e.getMessage(), e);
            }
            encoded.add(new Document("eventId", event.eventId())
                .append("version", event.version())
                .append("eventType", event.eventType())
                .append("timestamp", Date.from(event.timestamp()))
                .append("payload", payload)
                .append("metadata", new Document("correlationId", event.metadata().correlationId())
                    .append("causationId", event.metadata().causationId())));
        }
        return new Document(AGGREGATE_TYPE, first.aggregateType())
            .append(AGGREGATE_ID, first.aggregateId())
            .append(FIRST_VERSION, first.version())
            .append(LAST_VERSION, events.get(events.size() - 1).version())
            .append("committedAt", Date.from(first.timestamp()))
            .append(EVENTS, encoded);
    }

    /**
     * Reads a commit back into its events.
     *
     * @throws MalformedCommit naming the first problem found, if the document is not a valid commit
     */
    public static List<Event> decode(BsonDocument commit) {
        String aggregateType = string(commit, AGGREGATE_TYPE);
        String aggregateId = string(commit, AGGREGATE_ID);
        long firstVersion = integer(commit, FIRST_VERSION);
        BsonValue eventsValue = commit.get(EVENTS);
        if (eventsValue == null || !eventsValue.isArray() || eventsValue.asArray().isEmpty()) {
            throw new MalformedCommit("'" + EVENTS + "' must be a non-empty array");
        }
        BsonArray array = eventsValue.asArray();
        List<Event> events = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            if (!array.get(i).isDocument()) {
                throw new MalformedCommit("events[" + i + "] must be a document");
            }
            BsonDocument event = array.get(i).asDocument();
            long version = integer(event, "version");
            if (version != firstVersion + i) {
                throw new MalformedCommit("events[" + i + "].version is " + version + ", expected " + (firstVersion + i));
            }
            BsonValue payload = event.get("payload");
            if (payload == null || !payload.isDocument()) {
                throw new MalformedCommit("events[" + i + "].payload must be a document");
            }
            BsonValue timestamp = event.get("timestamp");
            if (timestamp == null || !timestamp.isDateTime()) {
                throw new MalformedCommit("events[" + i + "].timestamp must be a date");
            }
            BsonDocument metadata = event.containsKey("metadata") && event.get("metadata").isDocument()
                ? event.getDocument("metadata") : new BsonDocument();
            try {
                events.add(new Event(string(event, "eventId"), aggregateType, aggregateId, version,
                    string(event, "eventType"), Instant.ofEpochMilli(timestamp.asDateTime().getValue()),
                    payload.asDocument().toJson(RELAXED),
                    new EventMetadata(optionalString(metadata, "correlationId"), optionalString(metadata, "causationId"))));
            } catch (IllegalArgumentException e) {
                throw new MalformedCommit("events[" + i + "]: " + e.getMessage());
            }
        }
        return events;
    }

    private static String string(BsonDocument document, String field) {
        BsonValue value = document.get(field);
        if (value == null || !value.isString() || value.asString().getValue().isBlank()) {
            throw new MalformedCommit("'" + field + "' must be a non-empty string");
        }
        return value.asString().getValue();
    }

    private static String optionalString(BsonDocument document, String field) {
        BsonValue value = document.get(field);
        return value != null && value.isString() ? value.asString().getValue() : null;
    }

    private static long integer(BsonDocument document, String field) {
        BsonValue value = document.get(field);
        if (value == null || !(value.isInt32() || value.isInt64())) {
            throw new MalformedCommit("'" + field + "' must be an integer");
        }
        long number = value.isInt64() ? value.asInt64().getValue() : value.asInt32().getValue();
        if (number < 1) {
            throw new MalformedCommit("'" + field + "' must be at least 1, was " + number);
        }
        return number;
    }

    /** A document in the event-store collection that is not a valid commit. */
    public static final class MalformedCommit extends RuntimeException {
        MalformedCommit(String reason) {
            super(reason);
        }
    }
}
