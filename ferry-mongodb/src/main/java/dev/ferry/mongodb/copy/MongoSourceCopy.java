package dev.ferry.mongodb.copy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import com.mongodb.MongoCursorNotFoundException;
import com.mongodb.MongoException;
import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Sorts;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.SourceCopy;
import dev.ferry.mongodb.changestream.WatermarkCollection;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * Copies collections in key order with range queries: each batch reads the documents after the last one copied
 * (a keyset page, not an offset, so a batch costs the same at the end of a large collection as at its start). The
 * position is that document's key, as canonical Extended JSON, so types survive the checkpoint.
 */
public final class MongoSourceCopy implements SourceCopy {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    private final MongoClient client;
    private final Map<String, CopiedCollection> sources = new LinkedHashMap<>();
    private final List<String> copiedFirst;
    /** Sources whose order a unique index proved unique (found by {@link #prepare}): no {@code _id} tie-breaker. */
    private final Set<String> uniqueByIndex = ConcurrentHashMap.newKeySet();
    private final WatermarkedChunks chunks;
    /** The read a copy is in the middle of (relay instances sharing this copy in one JVM take turns). */
    private OpenRead read;

    /** Copies every one of {@code sources} first. */
    public MongoSourceCopy(MongoClient client, List<CopiedCollection> sources) {
        this(client, sources, sources.stream().map(CopiedCollection::name).toList());
    }

    /**
     * @param sources     every source that can be copied
     * @param copiedFirst the names of those copied before streaming the first time a relay leads
     */
    public MongoSourceCopy(MongoClient client, List<CopiedCollection> sources, List<String> copiedFirst) {
        this.client = client;
        this.chunks = new WatermarkedChunks(client);
        sources.forEach(source -> this.sources.put(source.name(), source));
        this.copiedFirst = List.copyOf(copiedFirst);
        this.copiedFirst.forEach(this::source);
    }

    @Override
    public List<String> sources() {
        return List.copyOf(sources.keySet());
    }

    @Override
    public List<String> copiedFirst() {
        return copiedFirst;
    }

    /**
     * Checks that each source has an index the copy reads through: a unique one on exactly its order, or one on its
     * order followed by {@code _id} (the tie-breaker). Without one, each page would sort the whole collection in
     * memory, which MongoDB refuses past 100 MB. Ferry's own store gets its indexes created instead. A copy by
     * watermarks also needs to write them: a watermark is written and removed.
     */
    @Override
    public void prepare(List<String> names) {
        for (String name : names) {
            CopiedCollection source = source(name);
            MongoCollection<BsonDocument> collection = collection(source);
            if (source.ferryStore()) {
                MongoEventStore.createIndexes(collection);
            }
            CopyIndex index = CopyIndex.find(collection, source.orderBy())
                .orElseThrow(() -> new NotReady(CopyIndex.missing(source.name(), source.watched().database(),
                    source.watched().collection(), source.orderBy())));
            if (index.unique()) {
                uniqueByIndex.add(name);
            }
            if (copiesByWatermarks(name)) {
                probeWatermarks(source);
            }
        }
    }

    /** A copy by watermarks writes to the source's database: a user who may not is told before the relay starts. */
    private void probeWatermarks(CopiedCollection source) {
        String database = source.watched().database();
        try {
            WatermarkCollection.probe(client, database);
        } catch (MongoException e) {
            if (!WatermarkCollection.refusedForLackOfRights(e)) {
                throw e;
            }
            throw new NotReady("source " + source.name() + ": its copy writes watermarks to " + database + "."
                + WatermarkCollection.NAME + ", which MongoDB refused (" + e.getMessage() + "); grant the relay's user "
                + "insert and remove on that collection (and a change stream on the database)");
        }
    }

    @Override
    public synchronized CopyBatch next(String name, String position, ResumeToken stamp, ResumeToken notedAt,
                                       int maxChanges) {
        CopiedCollection source = source(name);
        List<String> keys = new ArrayList<>(source.orderBy());
        if (!source.uniqueOrder() && !uniqueByIndex.contains(name)) {
            keys.add("_id"); // the tie-breaker; a unique order needs none, and its index then serves the sort
        }
        try {
            return read(source, keys, position, stamp, notedAt, maxChanges);
        } catch (MongoCursorNotFoundException e) {
            // The server dropped a read left idle too long (backpressure, a long stream batch): read again from here.
            closeRead();
            return read(source, keys, position, stamp, notedAt, maxChanges);
        }
    }

    /** An entity collection's copy: its documents are its state, so it is copied by watermarks. */
    @Override
    public boolean copiesByWatermarks(String name) {
        return source(name).watched().readsEveryOperation();
    }

    /** See {@link WatermarkedChunks}. */
    @Override
    public Chunk readChunk(String name, String position, int maxDocuments, Watermarks marks) {
        CopiedCollection source = source(name);
        if (!copiesByWatermarks(name)) {
            throw new IllegalArgumentException(name + " is not copied by watermarks: its documents are a history");
        }
        return chunks.read(source, collection(source), position, maxDocuments, marks);
    }

    private CopyBatch read(CopiedCollection source, List<String> keys, String position, ResumeToken stamp,
                           ResumeToken notedAt, int maxChanges) {
        OpenRead read = this.read;
        if (read == null || !read.continues(source.name(), position)) {
            closeRead();
            Bson after = position.isEmpty() ? new Document() : KeysetFilters.after(keys, BsonDocument.parse(position));
            read = new OpenRead(source.name(), collection(source).find(after).sort(Sorts.ascending(keys))
                .batchSize(maxChanges).cursor());
            this.read = read;
        }
        List<BsonDocument> documents = new ArrayList<>();
        BsonDocument last = null;
        boolean done;
        List<Change> changes;
        try {
            while (documents.size() < maxChanges && read.cursor().hasNext()) {
                last = read.cursor().next();
                documents.add(last);
            }
            done = !read.cursor().hasNext();
            changes = source.watched().readCopied(stamp, notedAt, documents);
        } catch (RuntimeException e) {
            closeRead(); // the next call opens a fresh read after the position it is given
            throw e;
        }
        String reached = last == null ? position : KeysetFilters.key(keys, last).toJson(CANONICAL);
        read.reached(reached);
        if (done) {
            closeRead();
        }
        return new CopyBatch(changes, reached, done);
    }

    private void closeRead() {
        if (read != null) {
            read.cursor().close();
            read = null;
        }
    }

    /**
     * One query per copy, read on batch after batch, rather than one range query per batch: a page's query must
     * skip what earlier pages read, which costs a server without a usable index (or a busy one) a scan each time. A
     * caller asking for another position (a new leadership term, a restart) gets a new query from there.
     */
    private static final class OpenRead {

        private final String source;
        private final MongoCursor<BsonDocument> cursor;
        private String position = "";

        OpenRead(String source, MongoCursor<BsonDocument> cursor) {
            this.source = source;
            this.cursor = cursor;
        }

        boolean continues(String name, String from) {
            return source.equals(name) && position.equals(from) && !position.isEmpty();
        }

        void reached(String key) {
            position = key;
        }

        MongoCursor<BsonDocument> cursor() {
            return cursor;
        }
    }

    private CopiedCollection source(String name) {
        CopiedCollection source = sources.get(name);
        if (source == null) {
            throw new IllegalArgumentException("no source named " + name + " can be copied; sources: " + sources.keySet());
        }
        return source;
    }

    /** From the primary, majority-committed: a secondary could lag behind the noted stream position. */
    private MongoCollection<BsonDocument> collection(CopiedCollection source) {
        return client.getDatabase(source.watched().database())
            .getCollection(source.watched().collection(), BsonDocument.class)
            .withReadPreference(ReadPreference.primary()).withReadConcern(ReadConcern.MAJORITY);
    }
}
