package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.util.List;

import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;

/**
 * The embedded server's backend with its oplog, sent commands directly (no socket, no driver): for unit tests of what
 * the server stores and reports, where the wire adds nothing.
 */
final class DirectBackend {

    private final BoundedOplogBackend backend = new BoundedOplogBackend(10_000, BoundedOplog.Reads.INLINE);
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final String database;

    DirectBackend(String database) {
        this.database = database;
        backend.enableOplog();
    }

    /** Runs a command and returns its reply, write errors included. */
    Document command(String name, Document command) {
        return backend.handleCommand(channel, database, name, command);
    }

    void insert(String collection, Document... documents) {
        Document reply = command("insert", new Document("insert", collection)
            .append("documents", new ArrayList<>(List.of(documents))).append("ordered", true));
        if (reply.get("writeErrors") != null) {
            throw new AssertionError("insert failed: " + reply.get("writeErrors"));
        }
    }

    void update(String collection, Document filter, Document update) {
        command("update", new Document("update", collection).append("updates",
            List.of(new Document("q", filter).append("u", update).append("multi", false).append("upsert", false))));
    }

    void delete(String collection, Document filter) {
        command("delete", new Document("delete", collection)
            .append("deletes", List.of(new Document("q", filter).append("limit", 1))));
    }

    @SuppressWarnings("unchecked")
    List<Document> find(String collection) {
        Document reply = command("find", new Document("find", collection).append("filter", new Document()));
        return (List<Document>) ((Document) reply.get("cursor")).get("firstBatch");
    }

    /** Opens a change stream on the collection; returns its cursor id. */
    long watch(String collection) {
        Document reply = command("aggregate", new Document("aggregate", collection)
            .append("pipeline", List.of(new Document("$changeStream", new Document())))
            .append("cursor", new Document()));
        return ((Number) ((Document) reply.get("cursor")).get("id")).longValue();
    }

    /** Every event the stream has now. */
    @SuppressWarnings("unchecked")
    List<Document> events(String collection, long cursor) {
        List<Document> events = new ArrayList<>();
        while (true) {
            Document reply = command("getMore", new Document("getMore", cursor).append("collection", collection));
            List<Document> batch = (List<Document>) ((Document) reply.get("cursor")).get("nextBatch");
            if (batch.isEmpty()) {
                return events;
            }
            events.addAll(batch);
        }
    }

    /** The BSON length of a document as the server's encoder writes it. */
    static int encodedLength(Document document) {
        ByteBuf buffer = Unpooled.buffer();
        try {
            BsonEncoder.encodeDocument(document, buffer);
            return buffer.writerIndex();
        } finally {
            buffer.release();
        }
    }
}
