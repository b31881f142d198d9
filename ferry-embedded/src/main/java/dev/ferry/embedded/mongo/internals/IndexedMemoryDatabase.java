package dev.ferry.embedded.mongo.internals;

import java.util.List;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DatabaseResolver;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.backend.memory.MemoryDatabase;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import io.netty.channel.Channel;

/**
 * The memory backend's database with {@link NarrowingUniqueIndex} for every unique index, {@code _id} included, an
 * {@link OrderedIndex} for every other index, and {@link ObservedMemoryCollection}s, so that updates are described and findAndModify writes reach the oplog.
 */
final class IndexedMemoryDatabase extends MemoryDatabase {

    private static final String FIND_AND_MODIFY = "findAndModify";

    private final UpdateImages updateImages;

    IndexedMemoryDatabase(String databaseName, CursorRegistry cursorRegistry, UpdateImages updateImages) {
        super(databaseName, cursorRegistry);
        this.updateImages = updateImages;
    }

    @Override
    public Document handleCommand(Channel channel, String command, Document query, DatabaseResolver databaseResolver,
                                  Oplog oplog) {
        if (command.equalsIgnoreCase(FIND_AND_MODIFY)) {
            clearLastStatus(channel);
            String collectionName = query.get(command).toString();
            return ((ObservedMemoryCollection) resolveOrCreateCollection(collectionName)).findAndModify(query, oplog);
        }
        return super.handleCommand(channel, command, query, databaseResolver, oplog);
    }

    /**
     * Both lanes ({@link CommandLanes}) may create a collection, and creating one writes the database's own
     * bookkeeping collections: one creation at a time.
     */
    @Override
    protected synchronized MongoCollection<Integer> resolveOrCreateCollection(String collectionName) {
        return super.resolveOrCreateCollection(collectionName);
    }

    @Override
    protected MemoryCollection openOrCreateCollection(String collectionName, CollectionOptions options) {
        // The superclass constructor opens the system collections, before this class's fields are set; their writes
        // are no change events anyway.
        if (updateImages == null || collectionName.startsWith("system.")) {
            return super.openOrCreateCollection(collectionName, options);
        }
        return new ObservedMemoryCollection(this, collectionName, options, cursorRegistry, updateImages);
    }

    @Override
    protected Index<Integer> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                     boolean sparse) {
        return new NarrowingUniqueIndex(indexName, keys, sparse);
    }

    /** An {@link OrderedIndex} where the stock backend makes an empty one (system collections keep that). */
    @Override
    protected Index<Integer> openOrCreateSecondaryIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                        boolean sparse) {
        if (resolveCollection(collectionName, false) instanceof ObservedMemoryCollection collection) {
            return new OrderedIndex(indexName, keys, sparse, collection::storedDocument);
        }
        return super.openOrCreateSecondaryIndex(collectionName, indexName, keys, sparse);
    }
}
