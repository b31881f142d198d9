package dev.ferry.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * One change of one document of an entity collection: topic by {@link #entity()}, key = {@link #id()}, versions only
 * increasing ({@link VersionRule#INCREASING}) per id, also across a delete and a re-create.
 *
 * @param entity         the entity's name (selects the topic)
 * @param id             the document's {@code _id} in its key form: an ObjectId as its hex, a string as it is,
 *                       anything else as canonical Extended JSON
 * @param operation      create, update or delete
 * @param version        orders the changes of one id
 * @param documentJson   the document after the change, canonical Extended JSON; null for a delete, and for an update
 *                       whose lookup found nothing (the document was deleted since: the delete follows)
 * @param beforeJson     the document before the change where the collection keeps pre-images; otherwise null
 * @param database       the source's database
 * @param collection     the source's collection
 * @param clusterTime    the change's cluster time (a copied document: the position noted before the copy), seconds
 * @param clusterTimeIncrement its increment
 */
public record EntityChange(String entity, String id, EntityOperation operation, EntityVersion version,
                           String documentJson, String beforeJson, String database, String collection,
                           long clusterTime, long clusterTimeIncrement) implements FerryRecord {

    public EntityChange {
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(collection, "collection");
        if (operation == EntityOperation.DELETE && documentJson != null) {
            throw new IllegalArgumentException("a delete carries no document");
        }
    }

    @Override
    public String type() {
        return entity;
    }

    @Override
    public String key() {
        return id;
    }

    /** Unique per change: the same change read twice (a replay after failover) has the same id. */
    @Override
    public String recordId() {
        return entity + "/" + id + "/" + version.wire();
    }

    @Override
    public VersionRule versionRule() {
        return VersionRule.INCREASING;
    }

    /** The cluster time as an instant (seconds precision), for the CloudEvents time. */
    public Instant time() {
        return Instant.ofEpochSecond(clusterTime);
    }
}
