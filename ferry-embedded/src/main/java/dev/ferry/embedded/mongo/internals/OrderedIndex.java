package dev.ferry.embedded.mongo.internals;

import java.util.List;
import java.util.function.IntFunction;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.bson.Document;

/**
 * A secondary (non-unique) index, kept in key order ({@link OrderedKeys}); the stock memory backend keeps none, so
 * every query on such a field scanned the whole collection. It finds no candidates on the stock path
 * ({@link #canHandle} is false): {@link ObservedMemoryCollection} plans ranges and sorts over it ({@link IndexPlan}).
 */
final class OrderedIndex extends Index<Integer> {

    private final OrderedKeys keys;
    /** The collection's document at a position, to tell apart documents that share a key. */
    private final IntFunction<Document> stored;

    OrderedIndex(String name, List<IndexKey> keys, boolean sparse, IntFunction<Document> stored) {
        super(name, keys, sparse);
        this.keys = new OrderedKeys(keys, sparse);
        this.stored = stored;
    }

    OrderedKeys orderedKeys() {
        return keys;
    }

    /** None: the {@code _id} index, which every such collection has, gives an updated document's position. */
    @Override
    public Integer getPosition(Document document) {
        return null;
    }

    @Override
    public void checkAdd(Document document, MongoCollection<Integer> collection) {
        // not unique: nothing to refuse
    }

    @Override
    public synchronized void add(Document document, Integer position, MongoCollection<Integer> collection) {
        keys.add(document, position);
    }

    /** The position of the stored document (the collection removes that very instance; else an equal one). */
    @Override
    public synchronized Integer remove(Document document) {
        Integer found = keys.firstPositionWithKeyOf(document, position -> stored.apply(position) == document);
        if (found == null) {
            found = keys.firstPositionWithKeyOf(document, position -> document.equals(stored.apply(position)));
        }
        if (found != null) {
            keys.remove(document, found);
        }
        return found;
    }

    @Override
    public boolean canHandle(Document query) {
        return false;
    }

    @Override
    public Iterable<Integer> getPositions(Document query) {
        throw new UnsupportedOperationException("planned by IndexPlan, not by the stock query path");
    }

    @Override
    public synchronized long getCount() {
        return keys.size();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    @Override
    public void checkUpdate(Document oldDocument, Document newDocument, MongoCollection<Integer> collection) {
        // not unique: nothing to refuse
    }

    @Override
    public synchronized void updateInPlace(Document oldDocument, Document newDocument, Integer position,
                                           MongoCollection<Integer> collection) {
        keys.remove(oldDocument, position);
        keys.add(newDocument, position);
    }

    @Override
    public synchronized void drop() {
        keys.clear();
    }
}
