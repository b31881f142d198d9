package dev.ferry.core.replica;

import java.util.Objects;

import dev.ferry.core.event.EntityVersion;

/**
 * One write to a replica as an independent log saw it (a trigger's history row, a change-stream event): which id,
 * which version the written state carries, and whether it is a tombstone.
 */
public record ReplicaWrite(String id, EntityVersion version, boolean deleted) {

    public ReplicaWrite {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(version, "version");
    }
}
