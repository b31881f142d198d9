package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;

import de.bwaldvogel.mongo.backend.AbstractCursor;
import de.bwaldvogel.mongo.bson.Document;
import dev.ferry.embedded.mongo.internals.OrderedKeys.Entry;

/**
 * The rest of a sorted query answered from an index, read on as the client asks for it: each getMore walks the index
 * on from where the last batch ended, rather than the query collecting (and the server keeping) every match up
 * front. Like a real server's cursor it sees writes made between batches in the part not yet read.
 */
final class IndexCursor extends AbstractCursor {

    private final Object collection;
    private final IndexPlan plan;
    /** The document at the entry's position if it matches the query (counted as examined), else null. */
    private final Function<Entry, Document> match;
    private final UnaryOperator<List<Document>> projection;
    /** The next match, where the next batch begins; null: none left. */
    private Entry next;

    IndexCursor(long id, Object collection, IndexPlan plan, Entry next, Function<Entry, Document> match,
                UnaryOperator<List<Document>> projection) {
        super(id);
        this.collection = collection;
        this.plan = plan;
        this.next = next;
        this.match = match;
        this.projection = projection;
    }

    @Override
    public boolean isEmpty() {
        return next == null;
    }

    @Override
    public List<Document> takeDocuments(int numberToReturn) {
        List<Document> documents = new ArrayList<>();
        synchronized (collection) {
            if (next == null) {
                return documents;
            }
            Iterator<Entry> walk = plan.index().walk(plan.range().lower(), plan.range().upper(), true, next);
            next = null;
            while (walk.hasNext()) {
                Entry entry = walk.next();
                Document document = match.apply(entry);
                if (document == null) {
                    continue;
                }
                if (numberToReturn > 0 && documents.size() >= numberToReturn) {
                    next = entry;
                    break;
                }
                documents.add(document);
            }
            return projection.apply(documents);
        }
    }
}
