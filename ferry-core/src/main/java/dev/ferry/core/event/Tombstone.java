package dev.ferry.core.event;

import java.util.Objects;

/**
 * The record with no value that follows a delete on the key's topic, so that a compacted topic eventually forgets
 * the key and a consumer starting from the topic's beginning never sees the deleted document.
 *
 * @param of the delete it follows
 */
public record Tombstone(EntityChange of) implements FerryRecord {

    public Tombstone {
        Objects.requireNonNull(of, "of");
        if (of.operation() != EntityOperation.DELETE) {
            throw new IllegalArgumentException("a tombstone follows a delete, not a " + of.operation().wireName());
        }
    }

    @Override
    public String type() {
        return of.entity();
    }

    @Override
    public String key() {
        return of.id();
    }

    @Override
    public String recordId() {
        return of.recordId() + "/tombstone";
    }

    @Override
    public VersionRule versionRule() {
        return VersionRule.INCREASING;
    }
}
