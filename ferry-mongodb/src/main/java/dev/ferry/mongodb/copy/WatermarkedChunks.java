package dev.ferry.mongodb.copy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.ClientSessionOptions;
import com.mongodb.client.ClientSession;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;

import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.mongodb.changestream.WatermarkCollection;

/**
 * Reads an entity collection's copy a chunk at a time between two watermarks: the relay's earlier watermarks are
 * removed, the low one is written, the chunk is read in a causally consistent session (so that the read sees at least
 * the watermark, on any member), the high one is written. Each chunk is a query of its own, not a page of one cursor:
 * a page read ahead before the low watermark would hold documents older than it. The first chunk notes the last key
 * the collection holds ({@link ChunkPosition}), where the copy ends.
 */
final class WatermarkedChunks {

    /** A read the server has not answered by then is failed: the relay's stream waits while a chunk is read. */
    private static final long MAX_READ_SECONDS = 60;

    private final MongoClient client;

    WatermarkedChunks(MongoClient client) {
        this.client = client;
    }

    SourceCopy.Chunk read(CopiedCollection source, MongoCollection<BsonDocument> documents, String position,
                          int maxDocuments, SourceCopy.Watermarks marks) {
        if (!source.orderBy().equals(List.of("_id"))) {
            throw new IllegalArgumentException(source.name() + ": a copy by watermarks reads in _id order, not "
                + source.orderBy());
        }
        MongoCollection<Document> watermarks = WatermarkCollection.in(client, source.watched().database());
        try (ClientSession session = client.startSession(ClientSessionOptions.builder().causallyConsistent(true)
            .build())) {
            WatermarkCollection.clear(watermarks, session, marks.relay());
            WatermarkCollection.write(watermarks, session, marks.low(), marks.relay(), source.name());
            ChunkPosition at = ChunkPosition.parse(position);
            if (at.until() == null) {
                BsonDocument last = documents.find(session).sort(Sorts.descending("_id"))
                    .projection(Projections.include("_id")).limit(1).first();
                at = new ChunkPosition(at.after(), last == null ? null : KeysetFilters.key(source.orderBy(), last));
            }
            List<BsonDocument> read = at.until() == null ? List.of()
                : documents.find(session, range(at)).sort(Sorts.ascending("_id")).limit(maxDocuments)
                    .batchSize(maxDocuments).maxTime(MAX_READ_SECONDS, TimeUnit.SECONDS).into(new ArrayList<>());
            WatermarkCollection.write(watermarks, session, marks.high(), marks.relay(), source.name());
            ChunkPosition reached = read.isEmpty() ? at
                : at.after(KeysetFilters.key(source.orderBy(), read.get(read.size() - 1)));
            boolean done = read.size() < maxDocuments || (reached.after() != null
                && reached.after().get("_id").equals(reached.until().get("_id")));
            return new WatermarkChunk(source.watched(), read, reached.toJson(), done);
        }
    }

    /** After the last key copied, up to the last key the collection held when the copy began. */
    private static Bson range(ChunkPosition at) {
        Bson until = KeysetFilters.atMost("_id", at.until().get("_id"));
        return at.after() == null ? until : Filters.and(KeysetFilters.after(List.of("_id"), at.after()), until);
    }
}
