package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.memory.index.MemoryUniqueIndex;
import de.bwaldvogel.mongo.bson.BsonRegularExpression;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A unique index that also serves the queries a real MongoDB answers from it but the stock index does not, leaving
 * any further conditions and the sort to the normal matcher:
 * <ul>
 *   <li>every key of the index by a plain value <em>plus other conditions</em>, e.g. {@code {_id: "p-1", _version: 4}}
 *   (every conditional update Ferry makes) — one candidate, found by its key; also when the conditions come as one
 *   top-level {@code $and} of field conditions, as the Java driver's {@code Filters.and} sends them (a replica
 *   writer's conditional replace: {@code {$and: [{_id: "p-1"}, {_ferry.version: {$lt: ...}}]}});</li>
 *   <li>for a compound index, all keys but the last by plain values, e.g. {@code {aggregateType: "patient",
 *   aggregateId: "p-1"}} sorted by {@code firstVersion} (an aggregate's history) — the candidates sharing that
 *   prefix, kept in a second map.</li>
 * </ul>
 * The stock index serves only queries on exactly its keys, so such queries scanned the whole collection, and the
 * embedded server answers one operation at a time: one history read of a 20,000-commit store held up every other
 * client for milliseconds.
 */
final class NarrowingUniqueIndex extends MemoryUniqueIndex {

    /** Positions by the values of all keys but the last, for a compound, non-sparse index; guarded by {@code this}. */
    private final Map<KeyValue, TreeSet<Integer>> byPrefix;

    /** The same entries in key order, for ranges and sorts ({@link IndexPlan}). */
    private final OrderedKeys ordered;

    NarrowingUniqueIndex(String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        byPrefix = keys.size() > 1 && !sparse ? new HashMap<>() : null;
        ordered = new OrderedKeys(keys, sparse);
    }

    OrderedKeys orderedKeys() {
        return ordered;
    }

    @Override
    public synchronized void add(Document document, Integer position, MongoCollection<Integer> collection) {
        super.add(document, position, collection);
        ordered.add(document, position);
    }

    /** Also what an update that moves a key does (the stock update removes the old document, adds the new). */
    @Override
    public synchronized Integer remove(Document document) {
        Integer position = super.remove(document);
        if (position != null) {
            ordered.remove(document, position);
        }
        return position;
    }

    @Override
    public synchronized boolean canHandle(Document query) {
        Document conditions = flattened(query);
        return super.canHandle(conditions) || narrowsTo(conditions) != null || prefixOf(conditions) != null;
    }

    @Override
    public synchronized Iterable<Integer> getPositions(Document query) {
        query = flattened(query);
        if (super.canHandle(query)) {
            return super.getPositions(query);
        }
        Document narrowed = narrowsTo(query);
        if (narrowed != null) {
            return super.getPositions(narrowed);
        }
        TreeSet<Integer> positions = byPrefix.get(prefixOf(query));
        return positions == null ? List.of() : new ArrayList<>(positions);
    }

    @Override
    protected synchronized boolean putKeyPosition(KeyValue keyValue, Integer position) {
        boolean added = super.putKeyPosition(keyValue, position);
        if (added && byPrefix != null) {
            byPrefix.computeIfAbsent(prefix(keyValue), prefix -> new TreeSet<>()).add(position);
        }
        return added;
    }

    @Override
    protected synchronized Integer removeDocument(KeyValue keyValue) {
        Integer position = super.removeDocument(keyValue);
        if (position != null && byPrefix != null) {
            KeyValue prefix = prefix(keyValue);
            TreeSet<Integer> positions = byPrefix.get(prefix);
            if (positions != null && positions.remove(position) && positions.isEmpty()) {
                byPrefix.remove(prefix);
            }
        }
        return position;
    }

    /**
     * A query that is one top-level {@code $and} of clauses, as one document of its field conditions on distinct
     * fields, leaving out clauses of operators such as {@code $or} (the index only finds candidates: the matcher
     * still applies the whole query, so dropping a conjunct only widens them); any other query as it is. The
     * tombstone ledger's conditional upsert is {@code {$and: [{_id: k}, {$or: [{last: {$exists: false}}, ...]}]}}.
     */
    private static Document flattened(Document query) {
        if (query.size() != 1 || !(query.get("$and") instanceof java.util.Collection<?> clauses)) {
            return query;
        }
        Document merged = new Document();
        for (Object clause : clauses) {
            if (!(clause instanceof Document conditions)) {
                return query;
            }
            if (conditions.keySet().stream().anyMatch(field -> field.startsWith("$"))) {
                continue;
            }
            for (String field : conditions.keySet()) {
                if (merged.containsKey(field)) {
                    return query;
                }
                merged.put(field, conditions.get(field));
            }
        }
        return merged;
    }

    /** The query's conditions on this index's keys alone, if it names each by a plain value and more; else null. */
    private Document narrowsTo(Document query) {
        if (query.keySet().size() <= keySet().size() || !query.keySet().containsAll(keySet())) {
            return null;
        }
        Document narrowed = new Document();
        for (String key : keys()) {
            Object value = query.get(key);
            if (!isPlain(value)) {
                return null;
            }
            narrowed.put(key, value);
        }
        return narrowed;
    }

    /** The query's values of all keys but the last, normalized as the index stores them, if each is plain; else null. */
    private KeyValue prefixOf(Document query) {
        if (byPrefix == null) {
            return null;
        }
        List<String> keys = keys();
        List<Object> values = new ArrayList<>(keys.size() - 1);
        for (String key : keys.subList(0, keys.size() - 1)) {
            Object value = query.get(key);
            if (value == null || !isPlain(value)) {
                return null;
            }
            values.add(value);
        }
        return new KeyValue(values).normalized();
    }

    private static KeyValue prefix(KeyValue keyValue) {
        List<Object> values = new ArrayList<>(keyValue.size() - 1);
        for (int i = 0; i < keyValue.size() - 1; i++) {
            values.add(keyValue.get(i));
        }
        return new KeyValue(values);
    }

    private static boolean isPlain(Object value) {
        return value != null && !(value instanceof Document) && !(value instanceof java.util.Collection)
            && !BsonRegularExpression.isRegularExpression(value);
    }
}
