package dev.ferry.core.event;

/**
 * What the relay publishes and projectors consume: one change of one key, with the version the version check
 * compares and the rule it compares by. The topic is chosen by {@link #type()}, the partition by {@link #key()}, so
 * one key's records stay in order: an {@link Event} (of a commit or a mapped event store), an {@link EntityChange} of
 * an entity collection, or the {@link Tombstone} that follows an entity's delete. Each transport's publisher writes
 * each kind in its wire format.
 */
public sealed interface FerryRecord permits Event, EntityChange, Tombstone {

    /** The aggregate type or entity name: selects the topic. */
    String type();

    /** The aggregate or entity id: the partition key. */
    String key();

    /** Globally unique: consumers' idempotency key, and a transport's de-duplication id. */
    String recordId();

    VersionRule versionRule();
}
