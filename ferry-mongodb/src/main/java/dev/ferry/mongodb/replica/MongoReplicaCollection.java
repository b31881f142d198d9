package dev.ferry.mongodb.replica;

import java.util.Objects;

/**
 * Where one entity is replicated in MongoDB.
 *
 * @param entity     the entity's name, as in its changes
 * @param collection the replica collection, in the writer's database
 */
public record MongoReplicaCollection(String entity, String collection) {

    public MongoReplicaCollection {
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(collection, "collection");
        if (entity.isBlank() || collection.isBlank()) {
            throw new IllegalArgumentException("entity and collection must not be blank");
        }
        if (collection.contains("$") || collection.startsWith("system.")) {
            throw new IllegalArgumentException("collection '" + collection + "' of entity " + entity + " is not a collection name");
        }
    }

    /** A collection named after the entity. */
    public static MongoReplicaCollection of(String entity) {
        return new MongoReplicaCollection(entity, entity);
    }
}
