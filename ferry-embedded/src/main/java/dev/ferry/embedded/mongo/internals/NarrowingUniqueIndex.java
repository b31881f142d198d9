package dev.ferry.embedded.mongo.internals;

import java.util.List;

import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.memory.index.MemoryUniqueIndex;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A unique index that also serves queries naming every key of the index by a plain value <em>plus other
 * conditions</em>, e.g. {@code {_id: "p-1", _version: 4}}: it finds the one candidate by its key and leaves the other
 * conditions to the normal matcher. The stock index serves only queries on exactly its keys, so such queries (every
 * conditional update Ferry makes) scanned the whole collection; a real MongoDB uses the index for them.
 */
final class NarrowingUniqueIndex extends MemoryUniqueIndex {

    NarrowingUniqueIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
    }

    @Override
    public synchronized boolean canHandle(Document query) {
        return super.canHandle(query) || narrowsTo(query) != null;
    }

    @Override
    public synchronized Iterable<Integer> getPositions(Document query) {
        if (super.canHandle(query)) {
            return super.getPositions(query);
        }
        return super.getPositions(narrowsTo(query));
    }

    /** The query's conditions on this index's keys alone, if each is a plain value; otherwise null. */
    private Document narrowsTo(Document query) {
        if (query.keySet().size() <= keySet().size() || !query.keySet().containsAll(keySet())) {
            return null;
        }
        Document narrowed = new Document();
        for (String key : keys()) {
            Object value = query.get(key);
            if (value == null || value instanceof Document || value instanceof java.util.Collection
                || BsonRegularExpression.isRegularExpression(value)) {
                return null;
            }
            narrowed.put(key, value);
        }
        return narrowed;
    }
}
