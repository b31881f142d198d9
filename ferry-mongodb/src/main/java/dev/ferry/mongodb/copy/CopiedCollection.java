package dev.ferry.mongodb.copy;

import java.util.List;
import java.util.Objects;

import dev.ferry.mongodb.changestream.WatchedCollection;

/**
 * A source whose existing documents are copied before streaming.
 *
 * @param name    the source's name (its copy progress is checkpointed under it)
 * @param watched the collection and the reader of its kind
 * @param orderBy     the fields that order the copy so each aggregate's versions come in ascending order (commits:
 *                    type, id, first version; mapped events: id, version). An index on them makes each page an index
 *                    scan
 * @param uniqueOrder whether no two documents share those fields (a unique index); if not, {@code _id} is added as
 *                    the last tie-breaker
 */
public record CopiedCollection(String name, WatchedCollection watched, List<String> orderBy, boolean uniqueOrder) {

    public CopiedCollection {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(watched, "watched");
        orderBy = List.copyOf(orderBy);
        if (orderBy.isEmpty()) {
            throw new IllegalArgumentException("a copy needs an order");
        }
    }

    /** Ferry's commits: by (aggregateType, aggregateId, firstVersion), the store's unique index. */
    public static CopiedCollection commits(String name, WatchedCollection watched) {
        return new CopiedCollection(name, watched, List.of("aggregateType", "aggregateId", "firstVersion"), true);
    }
}
