package dev.ferry.core.replica;

import java.util.Objects;

/**
 * One write to a replica as an independent log saw it, with the entity's document it wrote: for checks that compare
 * the written states with the source's (a {@link ReplicaStateCheck}), not only the versions.
 *
 * @param documentJson the document as Extended JSON, without the replica's own bookkeeping; null for a tombstone, or
 *                     where the log could not tell what was written
 */
public record DocumentedWrite(ReplicaWrite write, String documentJson) {

    public DocumentedWrite {
        Objects.requireNonNull(write, "write");
    }
}
