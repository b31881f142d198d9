package dev.ferry.config;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
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

    // The descriptions of the settings every kind has are here, once; ConfigurationReference reads them.

    @JsonPropertyDescription("What the source is; selects its settings.")
    String kind();

    @JsonPropertyDescription("The source's name, unique among the sources: `ferry relay copy --source` names it.")
    String name();

    @JsonPropertyDescription("The source's database; default: Ferry's own (`mongodb.database`).")
    String database();

    @JsonPropertyDescription("The collection it reads; one source per `database.collection`.")
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

    /**
     * What to do with each kind of source. Java 17 has no pattern switch, so dispatch goes through this visitor: a new
     * kind adds a method here, and every place that handles sources stops compiling until it handles the new kind too.
     */
    interface Kinds<T> {
        T commits(Commits source);

        T events(Events source);

        T entities(Entities source);
    }

    /** Calls the method of {@code kinds} for this source's kind. */
    <T> T dispatch(Kinds<T> kinds);

        /** {@code initialLoad: copy}. */
    default boolean copiesFirst() {
        return "copy".equals(initialLoad());
    }

    @JsonClassDescription("Ferry's event store: one document per commit (the 1..n events of one append, with "
        + "contiguous versions) of one aggregate.")
    record Commits(
        String name, String database, String collection,
        @JsonPropertyDescription("The aggregate types this store holds (it claims them); empty: any type no other "
            + "source claims, which at most one event source (commits or events) may do.")
        List<String> aggregateTypes,
        @JsonPropertyDescription("`none` (only stream) or `copy`: copy the stored commits, in per-aggregate order, "
            + "before streaming.")
        String initialLoad) implements SourceConfig {

        public static final String KIND = "commits";

        @Override
        public <T> T dispatch(Kinds<T> kinds) {
            return kinds.commits(this);
        }

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

    @JsonClassDescription("An event store in your own schema: one document per event, read by a field mapping; "
        + "only inserts are read. Field paths are dotted (`meta.correlationId`). The aggregate type is one of: a "
        + "constant (`aggregateType`), a field (`aggregateTypeField`), or derived with the id from one field "
        + "(`stream`). A document that cannot be mapped goes to the dead-letter topic with the field and the reason.")
    record Events(
        String name, String database, String collection,
        @JsonPropertyDescription("Every document's aggregate type, a constant (it claims it).")
        String aggregateType,
        @JsonPropertyDescription("The field holding the aggregate type.")
        String aggregateTypeField,
        @JsonPropertyDescription("Aggregate type and id from one field, e.g. `streamId: \"patient-123\"`.")
        Stream stream,
        @JsonPropertyDescription("With `aggregateTypeField` or `stream`: the types the store holds (it claims them); "
            + "empty: any type no other source claims. Not with a constant `aggregateType`.")
        List<String> aggregateTypes,
        @JsonPropertyDescription("The aggregate id's field; not with `stream`, which holds the id.")
        String aggregateId,
        @JsonPropertyDescription("The version's field: an int32, an int64, or an integral double (JavaScript "
            + "numbers).")
        String version,
        @JsonPropertyDescription("The store's first version, 0 or 1; Ferry's versions start at 1, so with 0 the "
            + "store's version 0 is Ferry's 1.")
        Integer versionBase,
        @JsonPropertyDescription("`contiguous` (versions 1, 2, 3, …: a gap parks the aggregate) or `increasing` "
            + "(versions with holes, e.g. a foreign store's revision: anything greater than the stored version is "
            + "applied; needs one writer order per aggregate).")
        String versionRule,
        @JsonPropertyDescription("The event type's field.")
        String eventType,
        @JsonPropertyDescription("The event id's field; an ObjectId becomes its hex string.")
        String eventId,
        @JsonPropertyDescription("The timestamp's field, a date or an ISO-8601 string; default: the creation time of "
            + "an ObjectId `_id`.")
        String timestamp,
        @JsonPropertyDescription("The payload's field; default: the document less every mapped field.")
        String payload,
        @JsonPropertyDescription("`correlationId` and `causationId`, each to its field.")
        @KeyName("name") Map<String, String> metadata,
        @JsonPropertyDescription("`none` (only stream) or `copy`: copy the stored events, by id and version, before "
            + "streaming.")
        String initialLoad) implements SourceConfig {

        public static final String KIND = "events";

        @Override
        public <T> T dispatch(Kinds<T> kinds) {
            return kinds.events(this);
        }

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

        /** Type and id from one field: split at the first {@code separator}, or matched by a {@code regex}. */
        public record Stream(
            @JsonPropertyDescription("The field holding aggregate type and id.")
            String field,
            @JsonPropertyDescription("Type and id are split at its first occurrence; not with `regex`.")
            String separator,
            @JsonPropertyDescription("A regular expression with the named groups `type` and `id`, e.g. "
                + "`^(?<type>[a-z]+)-(?<id>.+)$`; not with `separator`.")
            String regex) {

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

    @JsonClassDescription("A collection of plain documents (an entity: created, updated and deleted in place) whose "
        + "every change Ferry publishes: topic = prefix + entity, key = the document's `_id`, the operation and the "
        + "document in the value; a delete is followed by a tombstone.")
    record Entities(
        String name, String database, String collection,
        @JsonPropertyDescription("The entity its documents are (it claims it; it names the topic); default: the "
            + "collection's name.")
        String entity,
        @JsonPropertyDescription("`copy`: copy the documents the collection holds, by `_id`, by watermarks while "
            + "streaming (each a `create`; needs write access to `ferry_watermarks` in the source's database); or "
            + "`none`.")
        String initialLoad,
        @JsonPropertyDescription("The largest record the broker takes, below the 1 MiB of Kafka, Event Hubs and NATS; "
            + "a larger change is dead-lettered with its id and size.")
        Integer maxRecordBytes,
        @JsonPropertyDescription("`true` if the collection keeps pre- and post-images "
            + "(`changeStreamPreAndPostImages`, MongoDB 6.0+): changes then carry the document before them, and "
            + "updates the post-image rather than the update lookup's result. The same for every entities source.")
        Boolean prePostImages,
        @JsonPropertyDescription("For sharded clusters (documents moving between shards): a field holding each "
            + "document's version, a non-negative integer or a date that every write raises; a re-created document "
            + "must carry a higher value than the deleted one. Needs `prePostImages: true` (a delete's version is the "
            + "deleted document's). Default: none, the cluster time orders.")
        String versionField) implements SourceConfig {

        public static final String KIND = "entities";

        @Override
        public <T> T dispatch(Kinds<T> kinds) {
            return kinds.entities(this);
        }

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
