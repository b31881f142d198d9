package dev.ferry.config;

import java.util.List;

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
     * Ferry's event store: one document per commit of one aggregate.
     *
     * @param aggregateTypes the types this store holds (claims them); empty: any type no other source claims
     */
    record Commits(String name, String database, String collection, List<String> aggregateTypes) implements SourceConfig {

        public static final String KIND = "commits";

        public Commits {
            collection = SettingValues.required("collection", collection, "the collection's name", value -> true);
            name = SettingValues.text(name, collection);
            database = SettingValues.text(database, null);
            aggregateTypes = SettingValues.list("aggregateTypes", aggregateTypes);
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
            return database != null ? this : new Commits(name, fallback, collection, aggregateTypes);
        }
    }

    /**
     * One document per event of one aggregate type (not available yet).
     *
     * @param aggregateType the type its events belong to (claims it)
     */
    record Events(String name, String database, String collection, String aggregateType) implements SourceConfig {

        public static final String KIND = "events";

        public Events {
            collection = SettingValues.required("collection", collection, "the collection's name", value -> true);
            name = SettingValues.text(name, collection);
            database = SettingValues.text(database, null);
            aggregateType = SettingValues.required("aggregateType", aggregateType, "the aggregate type of its events",
                value -> true);
        }

        @Override
        public String kind() {
            return KIND;
        }

        @Override
        public List<String> claims() {
            return List.of(aggregateType);
        }

        @Override
        public String claimsKey() {
            return "aggregateType";
        }

        @Override
        public Events inDatabase(String fallback) {
            return database != null ? this : new Events(name, fallback, collection, aggregateType);
        }
    }

    /**
     * A collection of plain documents whose changes Ferry publishes as events (not available yet).
     *
     * @param entity the entity its documents are (claims it); default: the collection's name
     */
    record Entities(String name, String database, String collection, String entity) implements SourceConfig {

        public static final String KIND = "entities";

        public Entities {
            collection = SettingValues.required("collection", collection, "the collection's name", value -> true);
            name = SettingValues.text(name, collection);
            database = SettingValues.text(database, null);
            entity = SettingValues.text(entity, collection);
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
            return database != null ? this : new Entities(name, fallback, collection, entity);
        }
    }
}
