package dev.ferry.benchmark.raw;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bson.BsonValue;

/** Where the raw replication pipeline writes: one round trip per poll, each id's latest change of the poll. */
interface RawReplica extends AutoCloseable {

    /** Writes the poll's changes (one per id, {@link #latestPerId}), each only over an older version. */
    void write(Collection<RawChange> latest) throws Exception;

    @Override
    void close() throws Exception;

    /**
     * Each id's last change in the poll, in delivery order: one id twice in one statement would fail a PostgreSQL
     * {@code ON CONFLICT} and has no order in an unordered bulk write.
     */
    static Collection<RawChange> latestPerId(List<RawChange> poll) {
        Map<BsonValue, RawChange> latest = new LinkedHashMap<>();
        for (RawChange change : poll) {
            latest.remove(change.id()); // re-inserted last: the map keeps the poll's order of latest changes
            latest.put(change.id(), change);
        }
        return latest.values();
    }
}
