package dev.ferry.core.event;

/**
 * What the relay publishes and projectors consume: one change of one key, with the version the version check
 * compares and the rule it compares by. The topic is chosen by {@link #type()}, the partition by {@link #key()}, so
 * one key's records stay in order. Today every record is an {@link Event} (of a commit); the source kinds still to
 * come add their own record kinds here, and each transport's publisher learns to write them.
 */
public sealed interface FerryRecord permits Event {

    /** The aggregate type or entity name: selects the topic. */
    String type();

    /** The aggregate or entity id: the partition key. */
    String key();

    /** Globally unique: consumers' idempotency key, and a transport's de-duplication id. */
    String recordId();

    long version();

    VersionRule versionRule();
}
