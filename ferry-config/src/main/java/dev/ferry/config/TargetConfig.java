package dev.ferry.config;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A replica that {@code ferry replicate} keeps of some entities, of one {@code kind}. Each target is its own consumer
 * group (its name), so one target's outage never stalls another.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "kind")
@JsonSubTypes({@JsonSubTypes.Type(value = TargetConfig.MongoDb.class, name = TargetConfig.MongoDb.KIND),
    @JsonSubTypes.Type(value = TargetConfig.PostgreSql.class, name = TargetConfig.PostgreSql.KIND)})
public sealed interface TargetConfig {

    /** Every kind, in the order the documentation gives them. */
    List<String> KINDS = List.of(MongoDb.KIND, PostgreSql.KIND);

    // The descriptions of the settings every kind has are here, once; ConfigurationReference reads them.

    @JsonPropertyDescription("What the target is; selects its settings.")
    String kind();

    @JsonPropertyDescription("Unique among the targets and not the projection's: the target's consumer group and the "
        + "namespace of its parked changes (`ferry parked`, `ferry replicate --target` name it).")
    String name();

    @JsonPropertyDescription("The entities replicated, each published by an `entities` source.")
    List<String> entities();

    @JsonPropertyDescription("How long a delete's tombstone is kept (purged hourly): at least as long as the topics "
        + "keep changes, or an older change read later could bring the deleted id back.")
    String tombstoneRetention();

    @JsonPropertyDescription("If set, every change is POSTed there through a circuit breaker before it is written; "
        + "empty: none.")
    String notifyUrl();

    @JsonPropertyDescription("Ids processed in parallel per instance.")
    Integer lanes();

    /**
     * What to do with each kind of target. Java 17 has no pattern switch, so dispatch goes through this visitor: a new
     * kind adds a method here, and every place that handles targets stops compiling until it handles the new kind too
     * (instead of a cast that throws at run time).
     */
    interface Kinds<T> {
        T mongoDb(MongoDb target);

        T postgreSql(PostgreSql target);
    }

    /** Calls the method of {@code kinds} for this target's kind. */
    <T> T dispatch(Kinds<T> kinds);

    default java.time.Duration tombstoneRetentionDuration() {
        return SettingValues.toDuration(tombstoneRetention());
    }

    @JsonClassDescription("A MongoDB replica: BSON-equal documents (types included, plus one `_ferry` field) in a "
        + "collection per entity.")
    record MongoDb(
        String name, List<String> entities,
        @JsonPropertyDescription("The replica's MongoDB; default: `mongodb.uri` (the same cluster).")
        String uri,
        @JsonPropertyDescription("The replica's database.")
        String database,
        @JsonPropertyDescription("The collection an entity is replicated into; default: the entity's name. One entity "
            + "per collection.")
        @KeyName("entity") Map<String, String> collections,
        String tombstoneRetention, String notifyUrl, Integer lanes) implements TargetConfig {

        public static final String KIND = "mongodb";

        @Override
        public <T> T dispatch(Kinds<T> kinds) {
            return kinds.mongoDb(this);
        }

        public MongoDb {
            name = SettingValues.required("name", name, "the target's name", value -> true);
            entities = checkedEntities(entities);
            uri = SettingValues.text(uri, null);
            database = SettingValues.required("database", database, "the replica's database", value -> true);
            collections = collections == null ? Map.of() : Map.copyOf(collections);
            checkNamesEntities("collections", collections.keySet(), entities);
            Map<String, String> named = collections;
            checkOnePlaceEach("collections", entities, entity -> named.getOrDefault(entity, entity));
            tombstoneRetention = SettingValues.duration("tombstoneRetention", tombstoneRetention, "7d");
            notifyUrl = checkedUrl(notifyUrl);
            lanes = SettingValues.wholeNumber("lanes", lanes, 16, 1, 1024);
        }

        @Override
        public String kind() {
            return KIND;
        }

        /** The collection an entity is replicated into. */
        public String collectionOf(String entity) {
            return collections.getOrDefault(entity, entity);
        }
    }

    @JsonClassDescription("A PostgreSQL replica: a table per entity, created if missing (`id text primary key, "
        + "version text, document jsonb, deleted_at timestamptz`, plus mapped columns).")
    record PostgreSql(
        String name, List<String> entities,
        @JsonPropertyDescription("A JDBC URL, `jdbc:postgresql://host:5432/db`.")
        String url,
        @JsonPropertyDescription("The database user; default: none (the URL may carry `user=`).")
        String username,
        @JsonPropertyDescription("The user's password; keep it out of the file with `${NAME}`.")
        String password,
        @JsonPropertyDescription("Connections (HikariCP).")
        Integer poolSize,
        @JsonPropertyDescription("An entity's table and mapped columns; default: a table named after the entity, no "
            + "mapped columns. One entity per table.")
        @KeyName("entity") Map<String, Table> tables,
        String tombstoneRetention, String notifyUrl, Integer lanes) implements TargetConfig {

        public static final String KIND = "postgresql";

        @Override
        public <T> T dispatch(Kinds<T> kinds) {
            return kinds.postgreSql(this);
        }

        public PostgreSql {
            name = SettingValues.required("name", name, "the target's name", value -> true);
            entities = checkedEntities(entities);
            url = SettingValues.required("url", url, "a JDBC URL such as jdbc:postgresql://host:5432/db",
                value -> value.startsWith("jdbc:postgresql:"));
            username = SettingValues.text(username, null);
            password = SettingValues.text(password, null);
            poolSize = SettingValues.wholeNumber("poolSize", poolSize, 8, 1, 256);
            tables = tables == null ? Map.of() : Map.copyOf(tables);
            checkNamesEntities("tables", tables.keySet(), entities);
            Map<String, Table> named = tables;
            for (String entity : entities) {
                if (!named.containsKey(entity) && !entity.matches(TABLE_NAME)) {
                    throw SettingError.invalid("tables." + entity, "'" + entity + "' is not a table name (a-z, 0-9 "
                        + "and _): give the entity's table, e.g. tables: {" + entity + ": {table: "
                        + entity.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + "}}");
                }
            }
            checkOnePlaceEach("tables", entities, entity -> named.containsKey(entity) ? named.get(entity).table() : entity);
            tombstoneRetention = SettingValues.duration("tombstoneRetention", tombstoneRetention, "7d");
            notifyUrl = checkedUrl(notifyUrl);
            lanes = SettingValues.wholeNumber("lanes", lanes, 16, 1, 1024);
        }

        @Override
        public String kind() {
            return KIND;
        }

        /** An entity's table; default: named after the entity, no mapped columns. */
        public Table tableOf(String entity) {
            return tables.getOrDefault(entity, new Table(entity, List.of()));
        }

        /** An entity's table. */
        public record Table(
            @JsonPropertyDescription("The table's name: a-z, 0-9 and _.")
            String table,
            @JsonPropertyDescription("Columns filled from document fields, besides `id`, `version`, `document` and "
                + "`deleted_at`.")
            List<Column> columns) {
            public Table {
                table = SettingValues.required("table", table, "a table name of a-z, 0-9 and _",
                    value -> value.matches(TABLE_NAME));
                columns = columns == null ? List.of() : List.copyOf(columns);
            }
        }

        /** A mapped column: a typed copy of a document field. */
        public record Column(
            @JsonPropertyDescription("The column's name: a-z, 0-9 and _, not Ferry's `id`, `version`, `document` or "
                + "`deleted_at`.")
            String name,
            @JsonPropertyDescription("The document field it is filled from, dotted (`name.family`).")
            String field,
            @JsonPropertyDescription("Its SQL type: `text`, `integer`, `bigint`, `numeric`, `boolean`, `timestamptz`, "
                + "`date` or `jsonb`.")
            String type) {
            public static final List<String> TYPES = List.of("text", "integer", "bigint", "numeric", "boolean",
                "timestamptz", "date", "jsonb");

            public Column {
                name = SettingValues.required("name", name, "a column name of a-z, 0-9 and _, not id, version, document "
                    + "or deleted_at (Ferry's)", value -> value.matches("[a-z_][a-z0-9_]{0,62}")
                    && !List.of("id", "version", "document", "deleted_at").contains(value));
                field = SettingValues.required("field", field, "the document field it is filled from", value -> true);
                type = SettingValues.required("type", type, "one of " + TYPES, TYPES::contains);
            }
        }
    }

    /** A PostgreSQL identifier Ferry writes without quoting. */
    String TABLE_NAME = "[a-z_][a-z0-9_]{0,62}";

    /** Two entities in one collection or table would merge their ids and compare versions across entities. */
    private static void checkOnePlaceEach(String key, List<String> entities,
                                          java.util.function.Function<String, String> placeOf) {
        Map<String, String> entityByPlace = new java.util.HashMap<>();
        for (String entity : entities) {
            String other = entityByPlace.putIfAbsent(placeOf.apply(entity), entity);
            if (other != null) {
                throw SettingError.invalid(key + "." + entity, "'" + placeOf.apply(entity) + "' is already where '"
                    + other + "' goes; each entity needs its own");
            }
        }
    }

    private static List<String> checkedEntities(List<String> entities) {
        List<String> checked = SettingValues.list("entities", entities);
        if (checked.isEmpty()) {
            throw SettingError.invalid("entities", "expected the entities this target replicates, e.g. [patient]");
        }
        return checked;
    }

    private static void checkNamesEntities(String key, java.util.Set<String> named, List<String> entities) {
        named.stream().filter(entity -> !entities.contains(entity)).findFirst().ifPresent(entity -> {
            throw SettingError.invalid(key + "." + entity, "'" + entity + "' is not one of this target's entities "
                + entities);
        });
    }

    private static String checkedUrl(String notifyUrl) {
        String url = SettingValues.text(notifyUrl, "");
        if (!url.isEmpty() && !url.matches("https?://\\S+")) {
            throw SettingError.invalid("notifyUrl", "expected an http:// or https:// URL, got '" + url + "'");
        }
        return url;
    }
}
