package dev.ferry.mongodb.entity;

import java.util.Objects;

/**
 * An entity collection as the relay reads it.
 *
 * @param name           the source's name
 * @param entity         the entity its documents are: the topic's name (before the transport's prefix)
 * @param database       the collection's database
 * @param collection     the collection
 * @param maxRecordBytes the largest record the broker takes (Kafka's and Event Hubs' default: 1 MB); a change whose
 *                       record would be larger is dead-lettered with its id and size
 * @param beforeImages   whether the collection keeps pre-images ({@code changeStreamPreAndPostImages}, MongoDB 6.0+):
 *                       then each change carries the document as it was before, and updates the post-image
 * @param versionField   a field of the documents holding their version (sharded clusters), or null: the cluster time
 *                       orders each document's changes
 */
public record EntitySource(String name, String entity, String database, String collection, int maxRecordBytes,
                           boolean beforeImages, String versionField) {

    /** What a relay can publish in one record by default: below the 1 MiB of Kafka, Event Hubs and NATS. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1_000_000;

    /** Versions by cluster time. */
    public EntitySource(String name, String entity, String database, String collection, int maxRecordBytes,
                        boolean beforeImages) {
        this(name, entity, database, collection, maxRecordBytes, beforeImages, null);
    }

    public EntitySource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(collection, "collection");
        if (versionField != null && !beforeImages) {
            throw new IllegalArgumentException("a version field needs the collection's pre-images: a delete's version "
                + "is the deleted document's");
        }
        if (maxRecordBytes < 1024) {
            throw new IllegalArgumentException("maxRecordBytes must be at least 1024, was " + maxRecordBytes);
        }
    }
}
