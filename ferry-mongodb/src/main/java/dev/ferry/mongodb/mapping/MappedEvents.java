package dev.ferry.mongodb.mapping;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.wire.IsoInstant;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * Reads one document of an event store in the users' own schema as Ferry's event, by its {@link EventMapping}. The
 * same document always gives the same event, whether read from the change stream or by a copy.
 */
public final class MappedEvents {

    private final EventMapping mapping;
    private final TopicNaming topics;

    /** @param topics where types become topics: a type it refuses makes the document unmappable */
    public MappedEvents(EventMapping mapping, TopicNaming topics) {
        this.mapping = mapping;
        this.topics = topics;
    }

    /** @throws UnmappableDocument naming the field and the reason */
    public Event read(BsonDocument document) {
        String aggregateType;
        String aggregateId;
        if (mapping.aggregateType() instanceof EventMapping.AggregateType.Constant constant) {
            aggregateType = constant.type();
            aggregateId = text(document, mapping.aggregateIdPath());
        } else if (mapping.aggregateType() instanceof EventMapping.AggregateType.Field field) {
            aggregateType = text(document, field.path());
            aggregateId = text(document, mapping.aggregateIdPath());
        } else {
            EventMapping.AggregateType.Derived derived = (EventMapping.AggregateType.Derived) mapping.aggregateType();
            String stream = text(document, derived.path());
            Matcher matcher = derived.pattern().matcher(stream);
            if (!matcher.matches()) {
                throw new UnmappableDocument(derived.path(), "'" + stream + "' does not match "
                    + derived.pattern().pattern());
            }
            aggregateType = matcher.group("type");
            aggregateId = matcher.group("id");
            if (aggregateType == null || aggregateType.isEmpty() || aggregateId == null || aggregateId.isEmpty()) {
                throw new UnmappableDocument(derived.path(), "'" + stream + "' gives no type or no id");
            }
        }
        checkType(aggregateType);
        return new Event(eventId(document), aggregateType, aggregateId, version(document),
            text(document, mapping.eventTypePath()), timestamp(document), payload(document), metadata(document),
            mapping.versionRule());
    }

    private String typePath() {
        return mapping.aggregateType() instanceof EventMapping.AggregateType.Field field ? field.path()
            : mapping.aggregateType() instanceof EventMapping.AggregateType.Derived derived ? derived.path()
            : "aggregateType";
    }

    private void checkType(String type) {
        try {
            topics.checkAggregateType(type);
        } catch (IllegalArgumentException e) {
            throw new UnmappableDocument(typePath(), e.getMessage());
        }
    }

    private long version(BsonDocument document) {
        String path = mapping.versionPath();
        BsonValue value = required(document, path);
        long stored;
        if (value.isInt32() || value.isInt64()) {
            stored = value.asNumber().longValue();
        } else if (value.isDouble() && value.asDouble().getValue() == Math.rint(value.asDouble().getValue())
            && Math.abs(value.asDouble().getValue()) < 0x1p53) {
            stored = (long) value.asDouble().getValue(); // a JavaScript number past int32
        } else {
            throw new UnmappableDocument(path, "expected an integer, got " + describe(value));
        }
        if (stored < mapping.versionBase()) {
            throw new UnmappableDocument(path, "version " + stored + " is below versionBase " + mapping.versionBase());
        }
        try {
            return Math.addExact(stored - mapping.versionBase(), 1);
        } catch (ArithmeticException e) {
            throw new UnmappableDocument(path, "version " + stored + " is too large");
        }
    }

    private String eventId(BsonDocument document) {
        String path = mapping.eventIdPath();
        BsonValue value = required(document, path);
        if (value.isString()) {
            return value.asString().getValue();
        } else if (value.isObjectId()) {
            return value.asObjectId().getValue().toHexString();
        } else if (value.isInt32() || value.isInt64()) {
            return Long.toString(value.asNumber().longValue());
        }
        throw new UnmappableDocument(path, "expected a string, an ObjectId or an integer, got " + describe(value));
    }

    private Instant timestamp(BsonDocument document) {
        String path = mapping.timestampPath();
        if (path == null) {
            BsonValue id = document.get("_id");
            if (id != null && id.isObjectId()) {
                return Instant.ofEpochSecond(id.asObjectId().getValue().getTimestamp());
            }
            throw new UnmappableDocument("_id", "no timestamp field is mapped and _id is not an ObjectId whose "
                + "creation time could stand in, got " + describe(id));
        }
        BsonValue value = required(document, path);
        if (value.isDateTime()) {
            return Instant.ofEpochMilli(value.asDateTime().getValue());
        } else if (value.isString()) {
            try {
                return IsoInstant.parse(value.asString().getValue());
            } catch (DateTimeParseException e) {
                throw new UnmappableDocument(path, "not an ISO-8601 instant: '" + value.asString().getValue() + "'");
            }
        }
        throw new UnmappableDocument(path, "expected a date or an ISO-8601 string, got " + describe(value));
    }

    private String payload(BsonDocument document) {
        if (mapping.payloadPath() != null) {
            BsonValue value = required(document, mapping.payloadPath());
            if (!value.isDocument()) {
                throw new UnmappableDocument(mapping.payloadPath(), "expected a document, got " + describe(value));
            }
            return RelaxedJson.of(value.asDocument());
        }
        BsonDocument rest = mutableCopy(document);
        for (String path : mappedPaths()) {
            remove(rest, path);
        }
        return RelaxedJson.of(rest);
    }

    private EventMetadata metadata(BsonDocument document) {
        Map<String, String> paths = mapping.metadataPaths();
        return new EventMetadata(optionalText(document, paths.get("correlationId")),
            optionalText(document, paths.get("causationId")));
    }

    /** Every mapped field, removed from the payload when it is the rest of the document. */
    private List<String> mappedPaths() {
        List<String> paths = new ArrayList<>();
        if (!(mapping.aggregateType() instanceof EventMapping.AggregateType.Constant)) {
            paths.add(typePath());
        }
        if (mapping.aggregateIdPath() != null) {
            paths.add(mapping.aggregateIdPath());
        }
        paths.add(mapping.versionPath());
        paths.add(mapping.eventTypePath());
        paths.add(mapping.eventIdPath());
        if (mapping.timestampPath() != null) {
            paths.add(mapping.timestampPath());
        }
        paths.addAll(mapping.metadataPaths().values());
        return paths;
    }

    private static String text(BsonDocument document, String path) {
        BsonValue value = required(document, path);
        if (!value.isString() || value.asString().getValue().isEmpty()) {
            throw new UnmappableDocument(path, "expected a non-empty string, got " + describe(value));
        }
        return value.asString().getValue();
    }

    private static String optionalText(BsonDocument document, String path) {
        if (path == null) {
            return null;
        }
        BsonValue value = at(document, path);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isString()) {
            throw new UnmappableDocument(path, "expected a string, got " + describe(value));
        }
        return value.asString().getValue();
    }

    private static BsonValue required(BsonDocument document, String path) {
        BsonValue value = at(document, path);
        if (value == null || value.isNull()) {
            throw new UnmappableDocument(path, "missing");
        }
        return value;
    }

    private static BsonValue at(BsonDocument document, String path) {
        BsonValue current = document;
        for (String part : path.split("\\.")) {
            if (current == null || !current.isDocument()) {
                return null;
            }
            current = current.asDocument().get(part);
        }
        return current;
    }

    /** A deep copy the mapped fields can be removed from (a change stream's documents are raw, immutable BSON). */
    private static BsonDocument mutableCopy(BsonDocument document) {
        return document instanceof RawBsonDocument raw ? raw.decode(new BsonDocumentCodec()) : document.clone();
    }

    private static void remove(BsonDocument document, String path) {
        int dot = path.lastIndexOf('.');
        BsonValue parent = dot < 0 ? document : at(document, path.substring(0, dot));
        if (parent != null && parent.isDocument()) {
            parent.asDocument().remove(path.substring(dot + 1));
            if (dot > 0 && parent.asDocument().isEmpty()) {
                remove(document, path.substring(0, dot)); // nothing left of it but mapped fields
            }
        }
    }

    private static String describe(BsonValue value) {
        return value == null ? "nothing" : value.getBsonType().name().toLowerCase(java.util.Locale.ROOT);
    }
}
