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
 */
public record EntitySource(String name, String entity, String database, String collection, int maxRecordBytes,
                           boolean beforeImages) {

    /** What a relay can publish in one record by default: below the 1 MiB of Kafka, Event Hubs and NATS. */
    public static final int DEFAULT_MAX_RECORD_BYTES = 1_000_000;

    public EntitySource {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(database, "database");
        Objects.requireNonNull(collection, "collection");
        if (maxRecordBytes < 1024) {
            throw new IllegalArgumentException("maxRecordBytes must be at least 1024, was " + maxRecordBytes);
        }
    }
}
