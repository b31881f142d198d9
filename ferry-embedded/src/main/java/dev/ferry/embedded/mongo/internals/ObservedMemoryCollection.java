package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.memory.MemoryCollection;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.oplog.Oplog;
import dev.ferry.embedded.mongo.internals.OrderedKeys.Entry;

/**
 * The memory backend's collection, observed where the stock server tells its oplog too little: it keeps each updated
 * document's before-image (for {@code updateDescription}), and reports what a findAndModify did, which the stock
 * server does not report at all. Its queries are answered from an ordered index where one serves them
 * ({@link IndexPlan}), and it counts the documents they examine.
 */
final class ObservedMemoryCollection extends MemoryCollection {

    private static final String ID = "_id";

    private final UpdateImages updateImages;
    /** What the running findAndModify did; only one command runs at a time. */
    private Object removedId;
    private Object updatedId;
    private Document added;
    /** Documents the queries have examined (matched against a query), for tests to see what an index saved. */
    private long examined;
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
     * Answers from an ordered index when one narrows the query or is its sort ({@link IndexPlan}); else as the stock
     * backend does (a unique index's exact keys, or a scan). The documents and their order are the scan's.
     */
    @Override
    protected QueryResult queryDocuments(Document query, Document orderBy, int numberToSkip, int limit,
                                         int batchSize, Document fieldSelector) {
        IndexPlan plan = numberToSkip < 0 || limit < 0 || servedByUniqueKey(query) ? null
            : IndexPlan.choose(getIndexes(), query, orderBy);
        if (plan == null) {
            return super.queryDocuments(query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
        }
        if (!plan.sorted()) {
            // the range's candidates in natural order, as the scan meets them; the stock path sorts and limits
            List<Integer> positions = new ArrayList<>();
            plan.index().walk(plan.range().lower(), plan.range().upper(), true, null)
                .forEachRemaining(entry -> positions.add(entry.position()));
            Collections.sort(positions);
            return matchDocumentsFromStream(positions.stream().map(this::getDocument), query, orderBy, numberToSkip,
                limit, batchSize, fieldSelector);
        }
        return answerInIndexOrder(plan, query, numberToSkip, limit, batchSize, fieldSelector);
    }

    /**
     * Walks the range in the sort's order, stopping once the page is full; a query without a limit (a copy's read)
     * returns its first batch and reads on from the index as the client asks ({@link IndexCursor}).
     */
    private QueryResult answerInIndexOrder(IndexPlan plan, Document query, int numberToSkip, int limit, int batchSize,
                                           Document fieldSelector) {
        boolean readOn = limit == 0 && batchSize > 0 && plan.forward();
        long wanted = limit > 0 ? (long) numberToSkip + limit : readOn ? (long) numberToSkip + batchSize : Long.MAX_VALUE;
        List<Document> matched = new ArrayList<>();
        Entry next = null;
        Iterator<Entry> walk = plan.index().walk(plan.range().lower(), plan.range().upper(), plan.forward(), null);
        while (walk.hasNext() && (readOn || matched.size() < wanted)) {
            Entry entry = walk.next();
            Document document = matching(entry, query);
            if (document == null) {
                continue;
            }
            if (matched.size() >= wanted) {
                next = entry;
                break;
            }
            matched.add(document);
        }
        List<Document> page = projected(matched.subList(Math.min(numberToSkip, matched.size()), matched.size()),
            fieldSelector);
        if (!readOn || next == null) {
            return createQueryResult(page, batchSize);
        }
        IndexCursor cursor = new IndexCursor(cursorRegistry.generateCursorId(), this, plan, next,
            entry -> matching(entry, query), documents -> projected(documents, fieldSelector));
        cursorRegistry.add(cursor);
        return new QueryResult(page, cursor);
    }

    /** The document at the entry's position if it matches the query; counted as examined. */
    private Document matching(Entry entry, Document query) {
        Document document = getDocument(entry.position());
        examined++;
        return document != null && documentMatchesQuery(document, query) ? document : null;
    }

    private List<Document> projected(List<Document> documents, Document fieldSelector) {
        if (fieldSelector == null || fieldSelector.isEmpty()) {
            return new ArrayList<>(documents);
        }
        // the stock projection, over documents already matched (an empty query matches all)
        return super.matchDocumentsFromStream(new Document(), documents.stream(), 0, 0, 0, null, fieldSelector)
            .collectDocuments();
    }

    /** The stock path finds these by a unique index's exact key ({@code _id: x}, {@code _id: {$in: [...]}}). */
    private boolean servedByUniqueKey(Document query) {
        for (Index<Integer> index : getIndexes()) {
            if (index.isUnique() && index.canHandle(query)) {
                return true;
            }
        }
        return false;
    }

    /**
     * A sorted query with a limit keeps only the first skip + limit matches (then sorts those as the stock backend
     * does): a sorted page no index serves no longer sorts the whole collection.
     */
    @Override
    protected QueryResult matchDocumentsFromStream(Document query, Stream<Document> documents, int numberToSkip,
                                                   int limit, int batchSize, Comparator<Document> order,
                                                   Document fieldSelector) {
        Stream<Document> candidates = documents.peek(document -> examined++);
        if (order != null && limit > 0) {
            candidates = SortedSelection.firstOf(candidates.filter(document -> documentMatchesQuery(document, query)),
                order, Math.max(0, numberToSkip) + limit);
        }
        return super.matchDocumentsFromStream(query, candidates, numberToSkip, limit, batchSize, order, fieldSelector);
    }

    /** Documents examined by this collection's queries so far. */
    synchronized long examined() {
        return examined;
    }

    /** The document at a position, for an index telling apart documents that share a key. */
    Document storedDocument(int position) {
        return getDocument(position);
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
