package dev.ferry.config;

import java.util.List;
import java.util.Map;

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

    String kind();

    /** Unique among the targets: the consumer group and the parked changes' namespace. */
    String name();

    /** The entities replicated (each from an {@code entities} source). */
    List<String> entities();

    /** How long a tombstone is kept: at least the entity topics' retention (default {@code 7d}). */
    String tombstoneRetention();

    /** If set, every change is POSTed there through a circuit breaker before it is written; empty: none. */
    String notifyUrl();

    /** Ids processed in parallel per instance. */
    Integer lanes();

    default java.time.Duration tombstoneRetentionDuration() {
        return SettingValues.toDuration(tombstoneRetention());
    }

    /**
     * A MongoDB replica: BSON-equal documents (types included) in a collection per entity.
     *
     * @param uri         default: {@code mongodb.uri} (the same cluster)
     * @param database    the replica's database
     * @param collections entity to collection; default: the entity's name
     */
    record MongoDb(String name, List<String> entities, String uri, String database, Map<String, String> collections,
                   String tombstoneRetention, String notifyUrl, Integer lanes) implements TargetConfig {

        public static final String KIND = "mongodb";

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

    /**
     * A PostgreSQL replica: a table per entity, created if missing ({@code id text primary key, version text,
     * document jsonb, deleted_at timestamptz}, plus mapped columns).
     *
     * @param url      a JDBC URL, {@code jdbc:postgresql://host:5432/db}
     * @param poolSize connections (HikariCP)
     * @param tables   entity to its table and mapped columns; default: a table named after the entity, no columns
     */
    record PostgreSql(String name, List<String> entities, String url, String username, String password,
                      Integer poolSize, Map<String, Table> tables, String tombstoneRetention, String notifyUrl,
                      Integer lanes) implements TargetConfig {

        public static final String KIND = "postgresql";

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

        /**
         * @param table   the table's name
         * @param columns columns filled from document fields, besides {@code id, version, document, deleted_at}
         */
        public record Table(String table, List<Column> columns) {
            public Table {
                table = SettingValues.required("table", table, "a table name of a-z, 0-9 and _",
                    value -> value.matches(TABLE_NAME));
                columns = columns == null ? List.of() : List.copyOf(columns);
            }
        }

        /**
         * @param name  the column's name
         * @param field the document field it is filled from, dotted ({@code name.family})
         * @param type  its SQL type: {@code text}, {@code integer}, {@code bigint}, {@code numeric}, {@code boolean},
         *              {@code timestamptz}, {@code date}, {@code jsonb}
         */
        public record Column(String name, String field, String type) {
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
