package dev.ferry.embedded.mongo.internals;

import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;

/**
 * The memory backend's collection, observed where the stock server tells its oplog too little: it keeps each updated
 * document's before-image (for {@code updateDescription}), and reports what a findAndModify did, which the stock
 * server does not report at all.
 */
final class ObservedMemoryCollection extends MemoryCollection {

    private static final String ID = "_id";

    private final UpdateImages updateImages;
    /** What the running findAndModify did; only one command runs at a time. */
    private Object removedId;
    private Object updatedId;
    private Document added;
    /** The documents the running or last insert command stored, by identity; emptied as the oplog takes them. */
    private final Set<Document> storedByInsert = Collections.newSetFromMap(new IdentityHashMap<>());
    private boolean inserting;

    ObservedMemoryCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                             CursorRegistry cursorRegistry, UpdateImages updateImages) {
        super(database, collectionName, options, cursorRegistry);
        this.updateImages = updateImages;
    }

    @Override
    protected void handleUpdate(Integer position, Document oldDocument, Document newDocument) {
        super.handleUpdate(position, oldDocument, newDocument);
        Object id = newDocument.get(ID);
        updateImages.keep(getFullName(), id, oldDocument);
        updatedId = id;
    }

    @Override
    public synchronized void removeDocument(Document document) {
        super.removeDocument(document);
        removedId = document.get(ID);
    }

    @Override
    public synchronized void addDocument(Document document) {
        super.addDocument(document);
        added = document;
        if (inserting) {
            storedByInsert.add(document);
        }
    }

    @Override
    public synchronized List<Document> insertDocuments(List<Document> documents, boolean isOrdered) {
        storedByInsert.clear();
        inserting = true;
        try {
            return super.insertDocuments(documents, isOrdered);
        } finally {
            inserting = false;
        }
    }

    /**
     * Whether the last insert command stored this very document (not one a unique index rejected, nor one after an
     * ordered insert's failure), forgetting it: the oplog asks right after the command, sparing a query per document.
     */
    synchronized boolean takeStoredByInsert(Document document) {
        return storedByInsert.remove(document);
    }

    /**
     * The stock collection encodes each document it adds to keep a running data size, and both images of each update
     * (issue 30: the insert path's BSON garbage); only collStats, dbStats and validate read that size, so it is counted
     * when they ask instead.
     */
    @Override
    protected boolean tracksDataSize() {
        return false;
    }

    @Override
    protected int getDataSize() {
        return handleQueryAsStream(new Document()).mapToInt(EncodedSize::of).sum();
    }

    /**
     * A sorted query with a limit keeps only the first skip + limit matches (then sorts those as the stock backend
     * does): a keyset page of a large collection no longer sorts the whole collection.
     */
    @Override
    protected QueryResult matchDocumentsFromStream(Document query, Stream<Document> documents, int numberToSkip,
                                                   int limit, int batchSize, Comparator<Document> order,
                                                   Document fieldSelector) {
        Stream<Document> candidates = documents;
        if (order != null && limit > 0) {
            candidates = SortedSelection.firstOf(documents.filter(document -> documentMatchesQuery(document, query)),
                order, Math.max(0, numberToSkip) + limit);
        }
        return super.matchDocumentsFromStream(query, candidates, numberToSkip, limit, batchSize, order, fieldSelector);
    }

    /** Runs a findAndModify and reports its write, if any, to the oplog as a real server's oplog would hold it. */
    synchronized Document findAndModify(Document command, Oplog oplog) {
        removedId = null;
        updatedId = null;
        added = null;
        Document reply = findAndModify(command);
        Document query = command.get("query") instanceof Document given ? given : new Document();
        if (removedId != null) {
            oplog.handleDelete(getFullName(), query, List.of(removedId));
        } else if (added != null) {
            oplog.handleInsert(getFullName(), List.of(added));
        } else if (updatedId != null) {
            oplog.handleUpdate(getFullName(), query, (Document) command.get("update"), List.of(updatedId));
        }
        return reply;
    }
}
