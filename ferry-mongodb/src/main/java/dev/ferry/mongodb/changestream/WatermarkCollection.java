package dev.ferry.mongodb.changestream;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.bson.BsonValue;
import org.bson.Document;

import com.mongodb.MongoException;
import com.mongodb.MongoSecurityException;
import com.mongodb.WriteConcern;
import com.mongodb.client.ClientSession;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * {@code ferry_watermarks}: the collection a relay writes its copy's watermarks to, one in each database that holds
 * an entity collection, so that they come back through the same change stream as the entities' changes (see
 * {@link dev.ferry.core.relay.spi.SourceCopy#readChunk}). Only its inserts are read; each is a
 * {@link Change.Watermark} whose value is the document's {@code _id}, and publishes nothing.
 */
public final class WatermarkCollection {

    /** The collection's name, in the source's database (part of what Ferry's users' databases hold). */
    public static final String NAME = "ferry_watermarks";
    /** MongoDB's error code for an operation the user may not run. */
    private static final int UNAUTHORIZED = 13;
    /** Source names are the configuration's; this prefix keeps the watermark collections apart from them. */
    private static final String SOURCE_PREFIX = "ferry watermarks of ";

    /** A write the majority has not acknowledged by then is failed: the relay's stream waits for it. */
    private static final WriteConcern MAJORITY = WriteConcern.MAJORITY.withWTimeout(30, TimeUnit.SECONDS);

    private WatermarkCollection() {
    }

    /** The collection in {@code database}, written with majority acknowledgement. */
    public static MongoCollection<Document> in(MongoClient client, String database) {
        return client.getDatabase(database).getCollection(NAME).withWriteConcern(MAJORITY);
    }

    /** Writes a watermark: its value, and the relay and source it belongs to. */
    public static void write(MongoCollection<Document> marks, ClientSession session, String value, String relay,
                             String source) {
        marks.insertOne(session, new Document("_id", value).append("relay", relay).append("source", source)
            .append("writtenAt", new Date()));
    }

    /** Removes a relay's earlier watermarks (only inserts are read from the collection: removing publishes nothing). */
    public static void clear(MongoCollection<Document> marks, ClientSession session, String relay) {
        marks.deleteMany(session, Filters.eq("relay", relay));
    }

    /**
     * Writes a watermark and removes it, so that a relay without the right to is refused before it starts copying.
     *
     * @throws MongoException as the server refused it (a missing privilege: {@link #refusedForLackOfRights})
     */
    public static void probe(MongoClient client, String database) {
        MongoCollection<Document> marks = in(client, database);
        try (ClientSession session = client.startSession()) {
            String value = "probe/" + UUID.randomUUID();
            write(marks, session, value, "probe", "");
            marks.deleteOne(session, Filters.eq("_id", value));
        }
    }

    /** Whether MongoDB refused an operation because the user lacks a privilege. */
    public static boolean refusedForLackOfRights(MongoException e) {
        return e instanceof MongoSecurityException || e.getCode() == UNAUTHORIZED;
    }

    /**
     * {@code collections} and, after them, the watermark collection of each database holding one of them whose
     * documents change in place: a stream of them also carries the watermarks of their copies.
     */
    public static List<WatchedCollection> besides(List<WatchedCollection> collections) {
        List<WatchedCollection> watched = new ArrayList<>(collections);
        collections.stream().filter(WatchedCollection::readsEveryOperation).map(WatchedCollection::database)
            .distinct()
            .forEach(database -> watched.add(new WatchedCollection(SOURCE_PREFIX + database, database, NAME,
                (token, document) -> {
                    // Anything else written there is no relay's watermark: passed over, never published.
                    BsonValue id = document.get("_id");
                    return new Change.Watermark(token, id != null && id.isString() ? id.asString().getValue()
                        : RelaxedJson.of(document));
                })));
        return watched;
    }
}
