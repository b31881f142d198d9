package dev.ferry.embedded.mongo.internals;

import java.util.List;

import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;

/**
 * Answers reads of {@code local.oplog.rs} from {@link BoundedOplog}, as a replica set does, for what operators and
 * Ferry read there: its oldest and newest entry ({@code find} in {@code $natural} order, forward or backward, with a
 * limit). Filters are refused rather than ignored.
 */
final class OplogCollection {

    static final String DATABASE = "local";
    static final String COLLECTION = "oplog.rs";
    private static final int BAD_VALUE = 2;
    /** A find without a limit returns one batch, as a real server's first batch holds 101 documents. */
    private static final int FIRST_BATCH = 101;

    private OplogCollection() {
    }

    static boolean isRead(String databaseName, String command, Document query) {
        return DATABASE.equals(databaseName) && command.equalsIgnoreCase("find")
            && COLLECTION.equals(query.get(command));
    }

    static Document find(Document query, BoundedOplog oplog) {
        if (query.get("filter") instanceof Document filter && !filter.isEmpty()) {
            throw new MongoServerError(BAD_VALUE, "BadValue",
                "the embedded server answers only unfiltered reads of local.oplog.rs, in $natural order");
        }
        boolean newestFirst = query.get("sort") instanceof Document sort && sort.get("$natural") instanceof Number n
            && n.intValue() < 0;
        int limit = query.get("limit") instanceof Number n && n.intValue() != 0 ? Math.abs(n.intValue()) : FIRST_BATCH;
        List<Document> batch = oplog.oplogDocuments(newestFirst, limit);
        Document reply = new Document("cursor", new Document("id", 0L).append("ns", DATABASE + "." + COLLECTION)
            .append("firstBatch", batch));
        Utils.markOkay(reply);
        return reply;
    }
}
