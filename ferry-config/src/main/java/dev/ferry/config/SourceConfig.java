package dev.ferry.config;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A MongoDB collection the relay reads, of one {@code kind}. Each source claims what it publishes (aggregate types,
 * or an entity) so that no type is ever published from two places.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({@JsonSubTypes.Type(value = SourceConfig.Commits.class, name = SourceConfig.Commits.KIND),
    @JsonSubTypes.Type(value = SourceConfig.Events.class, name = SourceConfig.Events.KIND),
    @JsonSubTypes.Type(value = SourceConfig.Entities.class, name = SourceConfig.Entities.KIND)})
public sealed interface SourceConfig {

    /** Every kind, in the order the documentation gives them. */
    List<String> KINDS = List.of(Commits.KIND, Events.KIND, Entities.KIND);

    String kind();

    /** Unique among the sources; default: the collection's name. */
    String name();

    /** Default: Ferry's own database ({@code mongodb.database}). */
    String database();

    String collection();

    /** What this source publishes and no other source may: aggregate types, or an entity. */
    List<String> claims();

    /** The setting {@link #claims()} comes from, for error lines. */
    String claimsKey();

    /** The same source in {@code database} if it names none. */
    SourceConfig inDatabase(String database);

    /**
     * Whether the relay copies the documents the source already holds before it streams its changes ({@code copy}),
     * or only streams ({@code none}, the default for event stores).
     */
    String initialLoad();

    /** {@code initialLoad: copy}. */
    default boolean copiesFirst() {
        return "copy".equals(initialLoad());
    }

    /**
     * Ferry's event store: one document per commit of one aggregate.
     *
     * @param aggregateTypes the types this store holds (claims them); empty: any type no other source claims
     * @param initialLoad    {@code none} (default) or {@code copy}: copy the stored commits, in per-aggregate order,
     *                       before streaming
     */
    record Commits(String name, String database, String collection, List<String> aggregateTypes, String initialLoad)
        implements SourceConfig {

        public static final String KIND = "commits";

        public Commits {
            collection = SettingValues.required("collection", collection, "the collection's name", value -> true);
            name = SettingValues.text(name, collection);
            database = SettingValues.text(database, null);
            aggregateTypes = SettingValues.list("aggregateTypes", aggregateTypes);
            initialLoad = SettingValues.initialLoad(initialLoad);
        }

        public Commits(String name, String database, String collection, List<String> aggregateTypes) {
            this(name, database, collection, aggregateTypes, null);
        }

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public List<String> claims() {
            return aggregateTypes;
        }

        @Override
        public String claimsKey() {
            return "aggregateTypes";
        }

        @Override
        public Commits inDatabase(String fallback) {
            return database != null ? this : new Commits(name, fallback, collection, aggregateTypes, initialLoad);
        }
    }

    /**
     * An event store in the users' own schema: one document per event, read by a field mapping. Field paths are
     * dotted ({@code meta.correlationId}). The aggregate type is one of: a constant ({@code aggregateType}), a field
     * ({@code aggregateTypeField}), or derived with the id from one field ({@code stream}).
     *
     * @param aggregateType      every document's type (claims it)
     * @param aggregateTypeField the field holding the type
     * @param stream             type and id from one field, e.g. {@code streamId: "patient-123"}
     * @param aggregateTypes     with a type field or a stream: the types it holds (claims them); empty: any type no
     *                           other source claims
     * @param aggregateId        the id's field (default {@code aggregateId}); not with a stream
     * @param version            the version's field (default {@code version}), an integer
     * @param versionBase        the store's first version, 0 or 1 (default 1)
     * @param versionRule        {@code contiguous} (default) or {@code increasing}
     * @param eventType          the event type's field (default {@code eventType})
     * @param eventId            the event id's field (default {@code _id})
     * @param timestamp          the timestamp's field; default: the creation time of an ObjectId {@code _id}
     * @param payload            the payload's field; default: the document less the mapped fields
     * @param metadata           {@code correlationId} and {@code causationId} to their fields
     * @param initialLoad        {@code none} (default) or {@code copy}: copy the stored events, by id and version,
     *                           before streaming
     */
    record Events(String name, String database, String collection, String aggregateType, String aggregateTypeField,
                  Stream stream, List<String> aggregateTypes, String aggregateId, String version, Integer versionBase,
                  String versionRule, String eventType, String eventId, String timestamp, String payload,
                  Map<String, String> metadata, String initialLoad) implements SourceConfig {

        public static final String KIND = "events";

        public Events {
            collection = SettingValues.required("collection", collection, "the collection's name", value -> true);
            name = SettingValues.text(name, collection);
            database = SettingValues.text(database, null);
            aggregateType = SettingValues.text(aggregateType, null);
            aggregateTypeField = SettingValues.text(aggregateTypeField, null);
            aggregateTypes = SettingValues.list("aggregateTypes", aggregateTypes);
            int ways = (aggregateType != null ? 1 : 0) + (aggregateTypeField != null ? 1 : 0) + (stream != null ? 1 : 0);
            if (ways != 1) {
                throw SettingError.invalid("aggregateType", "expected exactly one of aggregateType (a constant), "
                    + "aggregateTypeField (a field) or stream (type and id from one field), got " + ways);
            }
            if (aggregateType != null && !aggregateTypes.isEmpty()) {
                throw SettingError.invalid("aggregateTypes", "not with a constant aggregateType, which is the one type");
            }
            if (stream != null && aggregateId != null) {
                throw SettingError.invalid("aggregateId", "not with stream, which holds the id");
            }
            aggregateId = stream != null ? null : SettingValues.text(aggregateId, "aggregateId");
            version = SettingValues.text(version, "version");
            versionBase = SettingValues.wholeNumber("versionBase", versionBase, 1, 0, 1);
            versionRule = SettingValues.text(versionRule, "contiguous");
            if (!versionRule.equals("contiguous") && !versionRule.equals("increasing")) {
                throw SettingError.invalid("versionRule", "expected contiguous or increasing, got '" + versionRule + "'");
            }
            eventType = SettingValues.text(eventType, "eventType");
            eventId = SettingValues.text(eventId, "_id");
            timestamp = SettingValues.text(timestamp, null);
            payload = SettingValues.text(payload, null);
            metadata = metadata == null ? Map.of() : Map.copyOf(metadata);
            initialLoad = SettingValues.initialLoad(initialLoad);
            for (String key : metadata.keySet()) {
                if (!key.equals("correlationId") && !key.equals("causationId")) {
                    throw SettingError.invalid("metadata." + key, "expected correlationId or causationId");
                }
            }
        }

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public List<String> claims() {
            return aggregateType != null ? List.of(aggregateType) : aggregateTypes;
        }

        @Override
        public String claimsKey() {
            return aggregateType != null ? "aggregateType" : "aggregateTypes";
        }

        @Override
        public Events inDatabase(String fallback) {
            return database != null ? this : new Events(name, fallback, collection, aggregateType, aggregateTypeField,
                stream, aggregateTypes, aggregateId, version, versionBase, versionRule, eventType, eventId, timestamp,
                payload, metadata, initialLoad);
        }

        /**
         * Type and id from one field: split at the first {@code separator} (default {@code -}), or matched by a
         * {@code regex} with the named groups {@code type} and {@code id}.
         */
        public record Stream(String field, String separator, String regex) {

            public Stream {
                field = SettingValues.required("field", field, "the field holding type and id", value -> true);
                if (separator != null && regex != null) {
                    throw SettingError.invalid("separator", "expected separator or regex, not both");
                }
                if (regex != null && (!regex.contains("(?<type>") || !regex.contains("(?<id>"))) {
                    throw SettingError.invalid("regex", "expected the named groups (?<type>…) and (?<id>…), got '"
                        + regex + "'");
                }
                if (regex != null) {
                    try {
                        java.util.regex.Pattern.compile(regex);
                    } catch (java.util.regex.PatternSyntaxException e) {
                        throw SettingError.invalid("regex", "not a valid regex: " + e.getDescription());
                    }
                }
                separator = regex == null && (separator == null || separator.isEmpty()) ? "-" : separator;
            }
        }
    }

    /**
     * A collection of plain documents (an entity: created, updated and deleted in place) whose every change Ferry
     * publishes: topic = the entity, key = the document's {@code _id}, the operation and the document in the value.
     *
     * @param entity         the entity its documents are (claims it; names the topic); default: the collection's name
     * @param initialLoad    {@code copy} (default): copy the documents the collection holds, by {@code _id}, before
     *                       streaming; or {@code none}
     * @param maxRecordBytes the largest record the broker takes (default 1000000, below Kafka's, Event Hubs' and NATS'
     *                       1 MiB); a larger change is dead-lettered with its id and size
     * @param prePostImages  {@code true} if the collection keeps pre- and post-images
     *                       ({@code changeStreamPreAndPostImages}, MongoDB 6.0+): changes then carry the document
     *                       before them, and updates the post-image rather than the update lookup's result
     * @param versionField   a field holding each document's version, for sharded clusters (documents moving between
     *                       shards): a non-negative integer or a date, raised by every write; a re-created document
     *                       must carry a higher value than the deleted one. Needs {@code prePostImages: true} (a
     *                       delete's version is the deleted document's). Default: none, the cluster time orders
     */
    record Entities(String name, String database, String collection, String entity, String initialLoad,
                    Integer maxRecordBytes, Boolean prePostImages, String versionField) implements SourceConfig {

        public static final String KIND = "entities";

        public Entities {
            collection = SettingValues.required("collection", collection, "the collection's name", value -> true);
            name = SettingValues.text(name, collection);
            database = SettingValues.text(database, null);
            entity = SettingValues.text(entity, collection);
            initialLoad = SettingValues.initialLoad(initialLoad == null ? "copy" : initialLoad);
            maxRecordBytes = SettingValues.wholeNumber("maxRecordBytes", maxRecordBytes, 1_000_000, 1024,
                Integer.MAX_VALUE);
            prePostImages = SettingValues.flag(prePostImages, false);
            versionField = SettingValues.text(versionField, null);
            if (versionField != null && !prePostImages) {
                throw SettingError.invalid("versionField", "needs prePostImages: true (a delete's version is the "
                    + "deleted document's " + versionField + ", which only the collection's pre-images hold)");
            }
        }

        public Entities(String name, String database, String collection, String entity) {
            this(name, database, collection, entity, null, null, null, null);
        }

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public List<String> claims() {
            return List.of(entity);
        }

        @Override
        public String claimsKey() {
            return "entity";
        }

        @Override
        public Entities inDatabase(String fallback) {
            return database != null ? this : new Entities(name, fallback, collection, entity, initialLoad,
                maxRecordBytes, prePostImages, versionField);
        }
    }
}
