package dev.ferry.embedded.mongo.internals;

import java.util.List;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.aggregation.Aggregation;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.exception.MongoServerError;

/**
 * Opens change streams on a collection, a database ({@code aggregate: 1}) or the deployment ({@code aggregate: 1} on
 * {@code admin} with {@code allChangesForCluster}), which the stock server treats as a collection named "1" or
 * rejects; and puts the cursor's post-batch resume token into every reply, as a real server does.
 */
final class ChangeStreamCommands {

    private static final int INVALID_NAMESPACE = 73;
    private static final String ADMIN = "admin";

    private final MongoBackend backend;
    private final CursorRegistry cursorRegistry;

    ChangeStreamCommands(MongoBackend backend, CursorRegistry cursorRegistry) {
        this.backend = backend;
        this.cursorRegistry = cursorRegistry;
    }

    /** The {@code $changeStream} stage of an aggregate command, or {@code null} if it is none. */
    static Document changeStreamStage(String command, Document query) {
        if (!command.equalsIgnoreCase("aggregate") || !(query.get("pipeline") instanceof List<?> pipeline)
            || pipeline.isEmpty() || !(pipeline.get(0) instanceof Document first)) {
            return null;
        }
        return first.get("$changeStream") instanceof Document stage ? stage : null;
    }

    Document open(String databaseName, String command, Document query, Document stage, BoundedOplog oplog) {
        Object target = query.get(command);
        ChangeStreamScope scope = scope(databaseName, target, stage);
        MongoDatabase database = backend.resolveDatabase(databaseName);
        MongoCollection<?> collection = target instanceof String name ? database.resolveCollection(name, false) : null;
        List<Document> pipeline = Aggregation.parse(query.get("pipeline"));
        Aggregation aggregation = Aggregation.fromPipeline(pipeline.subList(1, pipeline.size()),
            backend::resolveDatabase, database, collection, oplog);
        aggregation.validate(query);

        ChangeStreamCursor cursor = oplog.openCursor(stage, scope, aggregation);
        List<Document> firstBatch;
        try {
            firstBatch = cursor.takeDocuments(batchSize(query));
        } catch (MongoServerError e) {
            cursorRegistry.remove(cursor); // a failed read leaves no cursor behind, as on mongod
            throw e;
        }
        if (cursor.isEmpty()) {
            cursorRegistry.remove(cursor);
        }
        Document cursorReply = new Document("id", cursor.isEmpty() ? 0L : cursor.getId())
            .append("ns", cursor.namespace())
            .append("firstBatch", firstBatch)
            .append("postBatchResumeToken", cursor.postBatchResumeToken());
        Document reply = new Document("cursor", cursorReply);
        Utils.markOkay(reply);
        return reply;
    }

    /** Adds the post-batch resume token to a getMore reply, if the cursor is a change stream's. */
    static void addPostBatchResumeToken(Object cursor, Document getMoreReply) {
        if (cursor instanceof ChangeStreamCursor changeStream
            && getMoreReply.get("cursor") instanceof Document cursorReply) {
            cursorReply.put("postBatchResumeToken", changeStream.postBatchResumeToken());
        }
    }

    private static ChangeStreamScope scope(String databaseName, Object target, Document stage) {
        boolean wholeCluster = Utils.isTrue(stage.get("allChangesForCluster"));
        if (target instanceof String collectionName) {
            if (wholeCluster || ADMIN.equals(databaseName)) {
                throw invalidNamespace();
            }
            return ChangeStreamScope.ofCollection(databaseName + "." + collectionName);
        }
        if (ADMIN.equals(databaseName) != wholeCluster) {
            throw invalidNamespace();
        }
        return wholeCluster ? ChangeStreamScope.ofCluster() : ChangeStreamScope.ofDatabase(databaseName);
    }

    private static MongoServerError invalidNamespace() {
        return new MongoServerError(INVALID_NAMESPACE, "InvalidNamespace",
            "$changeStream with 'allChangesForCluster: true' may only be opened on the 'admin' database with "
                + "'aggregate: 1', and only such a stream may be opened on 'admin'");
    }

    private static int batchSize(Document query) {
        return query.get("cursor") instanceof Document cursor && cursor.get("batchSize") instanceof Number size
            ? size.intValue() : 0;
    }
}
