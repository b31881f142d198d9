package dev.ferry.mongodb.copy;

import java.util.List;
import java.util.Objects;

import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.store.CommitDocuments;

/**
 * A source whose existing documents can be copied.
 *
 * @param name        the source's name (its copy progress is checkpointed under it)
 * @param watched     the collection and the reader of its kind
 * @param orderBy     the fields that order the copy so each aggregate's versions come in ascending order (commits:
 *                    type, id, first version; mapped events: id, version). The copy reads through an index on them,
 *                    checked before the relay starts
 * @param uniqueOrder whether no two documents share those fields (a unique index); if not, {@code _id} is added as
 *                    the last tie-breaker
 * @param ferryStore  Ferry's own event store, whose indexes Ferry creates: a missing index is created, not reported
 */
public record CopiedCollection(String name, WatchedCollection watched, List<String> orderBy, boolean uniqueOrder,
                               boolean ferryStore) {

    public CopiedCollection {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(watched, "watched");
        orderBy = List.copyOf(orderBy);
        if (orderBy.isEmpty()) {
            throw new IllegalArgumentException("a copy needs an order");
        }
    }

    /** A collection of the users' own (mapped events): its order may repeat unless a unique index says it does not. */
    public CopiedCollection(String name, WatchedCollection watched, List<String> orderBy, boolean uniqueOrder) {
        this(name, watched, orderBy, uniqueOrder, false);
    }

    /** Ferry's commits: by (aggregateType, aggregateId, firstVersion), the store's unique index. */
    public static CopiedCollection commits(String name, WatchedCollection watched) {
        return new CopiedCollection(name, watched, List.of(CommitDocuments.AGGREGATE_TYPE, CommitDocuments.AGGREGATE_ID,
            CommitDocuments.FIRST_VERSION), true, true);
    }
}
