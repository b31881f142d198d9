package dev.ferry.it.support;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * The test's own judgement of a stored document, from the published contracts alone and never from Ferry's decoders:
 * a commit against {@code contracts/commit.bson-schema.json} (by {@link BsonSchemaCheck}) plus the versions' relation;
 * a mapped event by docs/concepts.md's rules for a mapping ("Event stores in your own schema"); every record against the
 * transport's rules (a topic name Kafka can have, that is not reserved, and that does not collide with an existing
 * topic's, a record within the producer's {@code max.request.size}). A valid document's events are listed as they
 * must appear on the topics.
 */
public final class SourceContracts {

    /** An event a valid document must publish: where, under which key, with which version and type. */
    public record Expected(String eventId, String topic, String key, long version, String eventType) {
    }

    /** A document judged: valid with its events, or invalid with what breaks the contract. */
    public record Verdict(List<String> violations, boolean oversized, List<Expected> events) {
        public boolean valid() {
            return violations.isEmpty();
        }
    }

    private static final Pattern TOPIC_CHARACTERS = Pattern.compile("[A-Za-z0-9._-]+");
    private static final int MAX_TOPIC_LENGTH = 249;
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);
    /** JavaScript's Number.MAX_SAFE_INTEGER: the largest integral double a JavaScript driver writes exactly. */
    private static final double MAX_SAFE_INTEGER = 9_007_199_254_740_991d;
    private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();
    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    /** The generator keeps every record well away from the limits; an estimate this close would be a guess. */
    private static final double AMBIGUOUS_BELOW = 0.85;
    private static final double AMBIGUOUS_ABOVE = 1.1;

    private final BsonDocument commitSchema;
    private final String topicPrefix;
    private final String deadLetterTopic;
    private final long maxRequestBytes;
    private final long maxEntityRecordBytes;
    private final Set<String> existingTopics;

    /**
     * @param maxRequestBytes      the producer's {@code max.request.size}: no record may be larger
     * @param maxEntityRecordBytes the entity source's {@code maxRecordBytes}
     * @param existingTopics       topics that exist before anything is relayed: Kafka refuses a topic whose name differs
     *                             from one of theirs only in '.' against '_'
     */
    public SourceContracts(String topicPrefix, String deadLetterTopic, long maxRequestBytes, long maxEntityRecordBytes,
                           Set<String> existingTopics) {
        this.existingTopics = Set.copyOf(existingTopics);
        this.commitSchema = BsonDocument.parse(contract("commit.bson-schema.json")).getDocument("$jsonSchema");
        this.topicPrefix = topicPrefix;
        this.deadLetterTopic = deadLetterTopic;
        this.maxRequestBytes = maxRequestBytes;
        this.maxEntityRecordBytes = maxEntityRecordBytes;
    }

    /** A document of Ferry's event store: the contract's schema, the versions' relation, the transport's rules. */
    public Verdict commit(BsonDocument stored) {
        List<String> violations = new ArrayList<>(BsonSchemaCheck.violations(commitSchema, stored));
        BsonValue first = stored.get("firstVersion");
        BsonValue last = stored.get("lastVersion");
        BsonValue events = stored.get("events");
        if (isInteger(first) && events != null && events.isArray()) {
            BigInteger firstVersion = BigInteger.valueOf(first.asNumber().longValue());
            int count = events.asArray().size();
            if (isInteger(last) && !BigInteger.valueOf(last.asNumber().longValue())
                .equals(firstVersion.add(BigInteger.valueOf(count - 1L)))) {
                violations.add("$.lastVersion: not firstVersion + events - 1");
            }
            for (int i = 0; i < count; i++) {
                BsonValue event = events.asArray().get(i);
                BsonValue version = event.isDocument() ? event.asDocument().get("version") : null;
                if (isInteger(version) && !BigInteger.valueOf(version.asNumber().longValue())
                    .equals(firstVersion.add(BigInteger.valueOf(i)))) {
                    violations.add("$.events[" + i + "].version: not firstVersion + " + i);
                }
            }
        }
        BsonValue type = stored.get("aggregateType");
        if (type != null && type.isString()) {
            violations.addAll(topicViolations("$.aggregateType", type.asString().getValue()));
        }
        boolean oversized = false;
        List<Expected> expected = new ArrayList<>();
        if (events != null && events.isArray()) {
            for (BsonValue event : events.asArray()) {
                if (event.isDocument() && event.asDocument().get("payload") instanceof BsonDocument payload) {
                    oversized |= overMaxRequest(eventRecordBytes(stored.get("aggregateType"), stored.get("aggregateId"),
                        event.asDocument().get("eventId"), event.asDocument().get("eventType"), payload));
                }
            }
        }
        if (oversized) {
            violations.add("a record over max.request.size");
        }
        if (violations.isEmpty()) {
            String topic = topicPrefix + type.asString().getValue();
            String key = stored.getString("aggregateId").getValue();
            for (BsonValue event : events.asArray()) {
                BsonDocument e = event.asDocument();
                expected.add(new Expected(e.getString("eventId").getValue(), topic, key,
                    e.getNumber("version").longValue(), e.getString("eventType").getValue()));
            }
        }
        return new Verdict(violations, oversized, expected);
    }

    /**
     * A document of the streamId store (docs/concepts.md, "Event stores in your own schema"): {@code stream: {field: streamId}}
     * split at the first "-", {@code version: revision} from {@code versionBase: 0}, {@code eventType: type},
     * {@code eventId: _id}, {@code timestamp: createdAt}, {@code payload: data},
     * {@code metadata: {correlationId: meta.correlationId}}.
     */
    public Verdict streamEvent(BsonDocument stored) {
        List<String> violations = new ArrayList<>();
        String stream = nonEmptyString(stored, "streamId", violations);
        String type = null;
        String id = null;
        if (stream != null) {
            int dash = stream.indexOf('-');
            if (dash <= 0 || dash == stream.length() - 1) {
                violations.add("streamId: does not split at its first '-' into a type and an id");
            } else {
                type = stream.substring(0, dash);
                id = stream.substring(dash + 1);
                violations.addAll(topicViolations("streamId's type", type));
            }
        }
        Long version = version(stored, "revision", 0, violations);
        String eventType = nonEmptyString(stored, "type", violations);
        String eventId = eventId(stored, violations);
        BsonValue createdAt = at(stored, "createdAt");
        if (createdAt == null) {
            violations.add("createdAt: missing");
        } else if (createdAt.isString()) {
            try {
                Instant.parse(createdAt.asString().getValue());
            } catch (DateTimeParseException e) {
                violations.add("createdAt: not an ISO-8601 instant");
            }
        } else if (!createdAt.isDateTime()) {
            violations.add("createdAt: neither a date nor an ISO-8601 string");
        }
        BsonValue data = at(stored, "data");
        if (data == null) {
            violations.add("data: missing");
        } else if (!data.isDocument()) {
            violations.add("data: not a document");
        }
        optionalString(stored, "meta.correlationId", violations);
        return mapped(violations, data != null && data.isDocument() ? data.asDocument() : new BsonDocument(),
            type, id, eventId, version, eventType);
    }

    /**
     * A document of the staff store: {@code aggregateType: practitioner} (a constant), {@code aggregateId:
     * practitionerId}, {@code version: v} from 1, {@code eventType: kind}, {@code eventId: _id}, no timestamp field
     * (so the ObjectId {@code _id}'s time), the payload the rest of the document.
     */
    public Verdict staffEvent(BsonDocument stored, String type) {
        List<String> violations = new ArrayList<>(topicViolations("aggregateType", type));
        String id = nonEmptyString(stored, "practitionerId", violations);
        Long version = version(stored, "v", 1, violations);
        String eventType = nonEmptyString(stored, "kind", violations);
        String eventId = eventId(stored, violations);
        if (stored.get("_id") != null && !stored.get("_id").isObjectId()) {
            violations.add("_id: not an ObjectId, and no timestamp field is mapped");
        }
        BsonDocument payload = stored.clone();
        List.of("_id", "practitionerId", "v", "kind").forEach(payload::remove);
        return mapped(violations, payload, type, id, eventId, version, eventType);
    }

    private Verdict mapped(List<String> violations, BsonDocument payload, String type, String id, String eventId,
                           Long version, String eventType) {
        boolean oversized = overMaxRequest(eventRecordBytes(type == null ? null : new org.bson.BsonString(type),
            id == null ? null : new org.bson.BsonString(id), eventId == null ? null : new org.bson.BsonString(eventId),
            eventType == null ? null : new org.bson.BsonString(eventType), payload));
        if (oversized) {
            violations.add("a record over max.request.size");
        }
        List<Expected> expected = violations.isEmpty()
            ? List.of(new Expected(eventId, topicPrefix + type, id, version, eventType)) : List.of();
        return new Verdict(violations, oversized, expected);
    }

    /** An entity's document: a record of it is refused only if over the source's {@code maxRecordBytes}. */
    public Verdict entity(BsonDocument document) {
        long bytes = document.toJson(CANONICAL).getBytes(UTF_8).length + 2L * entityKey(document.get("_id"))
            .getBytes(UTF_8).length + 600;
        checkUnambiguous(bytes, maxEntityRecordBytes);
        boolean oversized = bytes > maxEntityRecordBytes;
        return new Verdict(oversized ? List.of("a record over maxRecordBytes") : List.of(), oversized, List.of());
    }

    /**
     * An entity's key (docs/concepts.md, "Entity collections"): an ObjectId as its hex digits, a string as it is, anything else
     * as its canonical Extended JSON.
     */
    public static String entityKey(BsonValue id) {
        if (id.isObjectId()) {
            return id.asObjectId().getValue().toHexString();
        } else if (id.isString()) {
            return id.asString().getValue();
        }
        String wrapped = new BsonDocument("v", id).toJson(CANONICAL);
        return wrapped.substring("{\"v\": ".length(), wrapped.length() - 1);
    }

    private List<String> topicViolations(String field, String type) {
        List<String> violations = new ArrayList<>();
        String topic = topicPrefix + type;
        if (!TOPIC_CHARACTERS.matcher(type).matches()) {
            violations.add(field + ": characters a topic name cannot have");
        } else if (topic.length() > MAX_TOPIC_LENGTH) {
            violations.add(field + ": the topic name would be longer than " + MAX_TOPIC_LENGTH);
        } else if (topic.equals(deadLetterTopic) || topic.startsWith("__")) {
            violations.add(field + ": a reserved topic name");
        } else if (existingTopics.stream().anyMatch(existing -> !existing.equals(topic)
            && existing.replace('.', '_').equals(topic.replace('.', '_')))) {
            violations.add(field + ": the topic name collides with an existing topic's ('.' and '_' are one to Kafka)");
        }
        return violations;
    }

    /** An integer version (int32, int64, or an integral double as JavaScript writes it) at or above {@code base}. */
    private static Long version(BsonDocument document, String path, int base, List<String> violations) {
        BsonValue value = at(document, path);
        if (value == null) {
            violations.add(path + ": missing");
            return null;
        }
        long stored;
        if (value.isInt32() || value.isInt64()) {
            stored = value.asNumber().longValue();
        } else if (value.isDouble() && Double.isFinite(value.asDouble().getValue())
            && value.asDouble().getValue() == Math.rint(value.asDouble().getValue())
            && Math.abs(value.asDouble().getValue()) <= MAX_SAFE_INTEGER) {
            stored = (long) value.asDouble().getValue();
        } else {
            violations.add(path + ": not an integer");
            return null;
        }
        if (stored < base) {
            violations.add(path + ": below versionBase " + base);
            return null;
        }
        BigInteger version = BigInteger.valueOf(stored).subtract(BigInteger.valueOf(base)).add(BigInteger.ONE);
        if (version.compareTo(LONG_MAX) > 0) {
            violations.add(path + ": the version would not fit a long");
            return null;
        }
        return version.longValue();
    }

    private static String eventId(BsonDocument document, List<String> violations) {
        BsonValue id = document.get("_id");
        if (id == null || id.isNull()) {
            violations.add("_id: missing");
            return null;
        } else if (id.isString()) {
            return id.asString().getValue();
        } else if (id.isObjectId()) {
            return id.asObjectId().getValue().toHexString();
        } else if (id.isInt32() || id.isInt64()) {
            return Long.toString(id.asNumber().longValue());
        }
        violations.add("_id: not a string, an ObjectId or an integer");
        return null;
    }

    private static String nonEmptyString(BsonDocument document, String path, List<String> violations) {
        BsonValue value = at(document, path);
        if (value == null) {
            violations.add(path + ": missing");
            return null;
        }
        if (!value.isString() || value.asString().getValue().isEmpty()) {
            violations.add(path + ": not a non-empty string");
            return null;
        }
        return value.asString().getValue();
    }

    private static void optionalString(BsonDocument document, String path, List<String> violations) {
        BsonValue value = at(document, path);
        if (value != null && !value.isString()) {
            violations.add(path + ": not a string");
        }
    }

    /** The value at a dotted path through documents; null if absent or null. */
    private static BsonValue at(BsonDocument document, String path) {
        BsonValue current = document;
        for (String part : path.split("\\.")) {
            if (current == null || !current.isDocument()) {
                return null;
            }
            current = current.asDocument().get(part);
        }
        return current == null || current.isNull() ? null : current;
    }

    private static boolean isInteger(BsonValue value) {
        return value != null && (value.isInt32() || value.isInt64());
    }

    /**
     * About how large an event's record is: its JSON value, its key, and headers that repeat the id, type and event
     * id. The generator keeps records far from the limit, so an estimate suffices.
     */
    private static long eventRecordBytes(BsonValue type, BsonValue id, BsonValue eventId, BsonValue eventType,
                                         BsonDocument payload) {
        return payload.toJson(RELAXED).getBytes(UTF_8).length + 3L * bytes(id) + 2L * bytes(eventId)
            + 2L * bytes(eventType) + 3L * bytes(type) + 1_000;
    }

    private boolean overMaxRequest(long bytes) {
        checkUnambiguous(bytes, maxRequestBytes);
        return bytes > maxRequestBytes;
    }

    private static void checkUnambiguous(long bytes, long limit) {
        if (bytes > limit * AMBIGUOUS_BELOW && bytes < limit * AMBIGUOUS_ABOVE) {
            throw new IllegalStateException("a record of about " + bytes + " bytes is too close to the limit of "
                + limit + " to judge; the generator must keep clear of it");
        }
    }

    private static long bytes(BsonValue value) {
        return value != null && value.isString() ? value.asString().getValue().getBytes(UTF_8).length : 0;
    }

    private static String contract(String name) {
        try {
            return Files.readString(Path.of("..", "contracts", name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
