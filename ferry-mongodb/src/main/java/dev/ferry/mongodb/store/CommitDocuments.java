package dev.ferry.mongodb.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonNull;
import org.bson.BsonReader;
import org.bson.BsonString;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.json.JsonParseException;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.partition.TopicNaming;

/**
 * The event store's document format: one document per commit (an atomic append of 1..n events of one
 * aggregate), so that appends need no transaction.
 * <pre>{_id, aggregateType, aggregateId, firstVersion, lastVersion, committedAt,
 *  events: [{eventId, version, eventType, timestamp, payload: {…}, metadata: {correlationId, causationId}}]}</pre>
 */
public final class CommitDocuments {

    public static final String AGGREGATE_TYPE = "aggregateType";
    public static final String AGGREGATE_ID = "aggregateId";
    public static final String FIRST_VERSION = "firstVersion";
    static final String LAST_VERSION = "lastVersion";
    static final String COMMITTED_AT = "committedAt";
    static final String EVENTS = "events";
    /** The contract's longest {@code aggregateType}: it becomes part of a topic name (Kafka allows 249 in all). */
    static final int AGGREGATE_TYPE_MAX_LENGTH = 200;

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
            .append(COMMITTED_AT, Date.from(first.timestamp()))
            .append(EVENTS, encoded);
    }

    /**
     * Reads a commit back into its events, in one pass over the document (the relay decodes every commit: looking
     * fields up one by one in a raw document re-scans it each time).
     *
     * @throws MalformedCommit naming the first problem found, if the document is not a valid commit
     */
    public static List<Event> decode(BsonDocument commit) {
        try (BsonReader reader = RelaxedJson.readerOf(commit)) {
            return read(reader).toEvents();
        }
    }

    private static CommitFields read(BsonReader reader) {
        CommitFields commit = new CommitFields();
        reader.readStartDocument();
        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
            String name = reader.readName();
            switch (name) {
                case AGGREGATE_TYPE -> commit.aggregateType = value(reader);
                case AGGREGATE_ID -> commit.aggregateId = value(reader);
                case FIRST_VERSION -> commit.firstVersion = value(reader);
                case LAST_VERSION -> commit.lastVersion = value(reader);
                case COMMITTED_AT -> commit.committedAt = value(reader);
                case EVENTS -> {
                    if (reader.getCurrentBsonType() == BsonType.ARRAY) {
                        commit.events = new ArrayList<>();
                        reader.readStartArray();
                        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
                            if (reader.getCurrentBsonType() == BsonType.DOCUMENT) {
                                commit.events.add(readEvent(reader));
                            } else {
                                reader.skipValue();
                                commit.events.add(null); // reported as not a document, in its place
                            }
                        }
                        reader.readEndArray();
                    } else {
                        reader.skipValue();
                    }
                }
                default -> reader.skipValue();
            }
        }
        reader.readEndDocument();
        return commit;
    }

    private static EventFields readEvent(BsonReader reader) {
        EventFields event = new EventFields();
        reader.readStartDocument();
        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
            String name = reader.readName();
            switch (name) {
                case "eventId" -> event.eventId = value(reader);
                case "version" -> event.version = value(reader);
                case "eventType" -> event.eventType = value(reader);
                case "timestamp" -> event.timestamp = value(reader);
                case "payload" -> {
                    if (reader.getCurrentBsonType() == BsonType.DOCUMENT) {
                        event.payloadJson = RelaxedJson.of(reader);
                    } else {
                        reader.skipValue();
                    }
                }
                case "metadata" -> {
                    if (reader.getCurrentBsonType() == BsonType.DOCUMENT) {
                        event.metadata = readDocument(reader);
                    } else {
                        reader.skipValue();
                        event.metadataNotADocument = true;
                    }
                }
                default -> reader.skipValue();
            }
        }
        reader.readEndDocument();
        return event;
    }

    /** A scalar field's value (strings, integers and dates are all the format uses); other types are checked later. */
    private static BsonValue value(BsonReader reader) {
        return switch (reader.getCurrentBsonType()) {
            case STRING -> new BsonString(reader.readString());
            case INT32 -> new BsonInt32(reader.readInt32());
            case INT64 -> new BsonInt64(reader.readInt64());
            case DATE_TIME -> new BsonDateTime(reader.readDateTime());
            default -> {
                reader.skipValue();
                yield BsonNull.VALUE; // present, but of no type the format allows
            }
        };
    }

    private static BsonDocument readDocument(BsonReader reader) {
        BsonDocument document = new BsonDocument();
        reader.readStartDocument();
        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
            String name = reader.readName();
            if (reader.getCurrentBsonType() == BsonType.NULL) {
                reader.readNull();
                document.put(name, BsonNull.VALUE);
            } else {
                BsonValue value = value(reader);
                // A type the format does not use is kept as a marker so that its check names it, unlike null.
                document.put(name, value.isNull() ? new org.bson.BsonBoolean(false) : value);
            }
        }
        reader.readEndDocument();
        return document;
    }

    /**
     * A commit's fields as read; checked in {@link #toEvents()}, in the order the format is documented, against every
     * rule of the published contract ({@code contracts/commit.bson-schema.json}; {@code CommitContractRulesTest} derives
     * a violation from each of its constraints and expects it refused here) and the relation of the versions.
     */
    private static final class CommitFields {
        BsonValue aggregateType;
        BsonValue aggregateId;
        BsonValue firstVersion;
        BsonValue lastVersion;
        BsonValue committedAt;
        List<EventFields> events;

        List<Event> toEvents() {
            String type = string(aggregateType, AGGREGATE_TYPE);
            if (type.length() > AGGREGATE_TYPE_MAX_LENGTH || !TopicNaming.isLegal(type)) {
                throw new MalformedCommit("'" + AGGREGATE_TYPE + "' must match ^[A-Za-z0-9._-]+$ and be at most "
                    + AGGREGATE_TYPE_MAX_LENGTH + " characters (it becomes part of a topic name), was '"
                    + (type.length() > 60 ? type.substring(0, 60) + "…" : type) + "'");
            }
            String id = string(aggregateId, AGGREGATE_ID);
            long first = integer(firstVersion, FIRST_VERSION);
            long last = integer(lastVersion, LAST_VERSION);
            if (committedAt == null || !committedAt.isDateTime()) {
                throw new MalformedCommit("'" + COMMITTED_AT + "' must be a date");
            }
            if (events == null || events.isEmpty()) {
                throw new MalformedCommit("'" + EVENTS + "' must be a non-empty array");
            }
            if (last != first + events.size() - 1) {
                throw new MalformedCommit("'" + LAST_VERSION + "' is " + last + ", expected " + FIRST_VERSION + " + "
                    + "events - 1 = " + (first + events.size() - 1));
            }
            Event[] result = new Event[events.size()];
            for (int i = 0; i < result.length; i++) {
                result[i] = toEvent(i, type, id, first + i);
            }
            return List.of(result); // immutable already: the change's List.copyOf keeps it as it is
        }

        private Event toEvent(int i, String type, String id, long expectedVersion) {
            EventFields event = events.get(i);
            if (event == null) {
                throw new MalformedCommit("events[" + i + "] must be a document");
            }
            long version = integer(event.version, "version");
            if (version != expectedVersion) {
                throw new MalformedCommit("events[" + i + "].version is " + version + ", expected " + expectedVersion);
            }
            if (event.payloadJson == null) {
                throw new MalformedCommit("events[" + i + "].payload must be a document");
            }
            if (event.timestamp == null || !event.timestamp.isDateTime()) {
                throw new MalformedCommit("events[" + i + "].timestamp must be a date");
            }
            if (event.metadataNotADocument) {
                throw new MalformedCommit("events[" + i + "].metadata must be a document");
            }
            BsonDocument metadata = event.metadata == null ? new BsonDocument() : event.metadata;
            checkMetadataField(metadata, i, "correlationId");
            checkMetadataField(metadata, i, "causationId");
            try {
                return new Event(string(event.eventId, "eventId"), type, id, version, string(event.eventType, "eventType"),
                    Instant.ofEpochMilli(event.timestamp.asDateTime().getValue()), event.payloadJson,
                    new EventMetadata(optionalString(metadata.get("correlationId")),
                        optionalString(metadata.get("causationId"))));
            } catch (IllegalArgumentException e) {
                throw new MalformedCommit("events[" + i + "]: " + e.getMessage());
            }
        }
    }

    private static void checkMetadataField(BsonDocument metadata, int i, String field) {
        BsonValue value = metadata.get(field);
        if (value != null && !value.isString() && !value.isNull()) {
            throw new MalformedCommit("events[" + i + "].metadata." + field + " must be a string or null");
        }
    }

    private static final class EventFields {
        BsonValue eventId;
        BsonValue version;
        BsonValue eventType;
        BsonValue timestamp;
        String payloadJson;
        BsonDocument metadata;
        boolean metadataNotADocument;
    }

    /**
     * The contract's non-empty string: at least one character other than ASCII white space (the schema's
     * {@code [^ \t\n\x0B\f\r]}, as MongoDB's validator and JSON Schema both read it); U+3000 or U+001C count as
     * characters, as they do there.
     */
    private static String string(BsonValue value, String field) {
        if (value == null || !value.isString() || onlyAsciiWhiteSpace(value.asString().getValue())) {
            throw new MalformedCommit("'" + field + "' must be a non-empty string");
        }
        return value.asString().getValue();
    }

    private static boolean onlyAsciiWhiteSpace(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c != ' ' && c != '\t' && c != '\n' && c != 0x0B && c != '\f' && c != '\r') {
                return false;
            }
        }
        return true;
    }

    private static String optionalString(BsonValue value) {
        return value != null && value.isString() ? value.asString().getValue() : null;
    }

    private static long integer(BsonValue value, String field) {
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
