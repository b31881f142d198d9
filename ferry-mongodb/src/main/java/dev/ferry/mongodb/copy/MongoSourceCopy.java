package dev.ferry.mongodb.copy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import com.mongodb.ClientSessionOptions;
import com.mongodb.MongoCursorNotFoundException;
import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
import com.mongodb.WriteConcern;
import com.mongodb.client.ClientSession;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.Filters;
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

    /** MongoDB's sort order of the types a key can hold (numbers stand for all numeric types). */
    private static final List<BsonType> TYPE_ORDER = List.of(BsonType.DOUBLE, BsonType.STRING, BsonType.DOCUMENT,
        BsonType.ARRAY, BsonType.BINARY, BsonType.OBJECT_ID, BsonType.BOOLEAN, BsonType.DATE_TIME, BsonType.TIMESTAMP,
        BsonType.REGULAR_EXPRESSION);

    private final MongoClient client;
    private final Map<String, CopiedCollection> sources = new LinkedHashMap<>();
    private final List<String> copiedFirst;
    /** Sources whose order a unique index proved unique (found by {@link #prepare}): no {@code _id} tie-breaker. */
    private final Set<String> uniqueByIndex = ConcurrentHashMap.newKeySet();
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
     * memory, which MongoDB refuses past 100 MB. Ferry's own store gets its indexes created instead.
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

    /**
     * Writes the low watermark, reads the chunk in a causally consistent session (so that the read sees at least the
     * watermark, on any member), then writes the high watermark; the relay's earlier watermarks are removed first.
     * Each chunk is a query of its own, not a page of one cursor: a page read ahead before the low watermark would
     * hold documents older than it.
     */
    @Override
    public Chunk readChunk(String name, String position, int maxDocuments, Watermarks marks) {
        CopiedCollection source = source(name);
        if (!copiesByWatermarks(name)) {
            throw new IllegalArgumentException(name + " is not copied by watermarks: its documents are a history");
        }
        List<String> keys = source.orderBy();
        MongoCollection<Document> watermarks = client.getDatabase(source.watched().database())
            .getCollection(WatermarkCollection.NAME).withWriteConcern(WriteConcern.MAJORITY);
        try (ClientSession session = client.startSession(ClientSessionOptions.builder().causallyConsistent(true)
            .build())) {
            watermarks.deleteMany(session, Filters.eq("relay", marks.relay()));
            watermarks.insertOne(session, watermark(marks.low(), marks, name));
            Bson after = position.isEmpty() ? new Document() : after(keys, BsonDocument.parse(position));
            List<BsonDocument> documents = collection(source).find(session, after).sort(Sorts.ascending(keys))
                .limit(maxDocuments).batchSize(maxDocuments).into(new ArrayList<>());
            watermarks.insertOne(session, watermark(marks.high(), marks, name));
            String reached = documents.isEmpty() ? position
                : key(keys, documents.get(documents.size() - 1)).toJson(CANONICAL);
            return new WatermarkChunk(source.watched(), documents, reached, documents.size() < maxDocuments);
        }
    }

    private static Document watermark(String value, Watermarks marks, String source) {
        return new Document("_id", value).append("relay", marks.relay()).append("source", source)
            .append("writtenAt", new java.util.Date());
    }

    private CopyBatch read(CopiedCollection source, List<String> keys, String position, ResumeToken stamp,
                           ResumeToken notedAt, int maxChanges) {
        OpenRead read = this.read;
        if (read == null || !read.continues(source.name(), position)) {
            closeRead();
            Bson after = position.isEmpty() ? new Document() : after(keys, BsonDocument.parse(position));
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
        String reached = last == null ? position : key(keys, last).toJson(CANONICAL);
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

    /**
     * Documents after {@code key} in the order of {@code keys}: (k1 after v1) or (k1 = v1 and k2 after v2) or … A
     * value is after v if it is greater within v's type, or of a type that sorts after v's ({@code $gt} compares
     * within one type only); after null (a missing field) is anything not null.
     */
    private static Bson after(List<String> keys, BsonDocument key) {
        List<Bson> alternatives = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            List<Bson> conditions = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                conditions.add(Filters.eq(keys.get(j), key.get(keys.get(j), org.bson.BsonNull.VALUE)));
            }
            conditions.add(after(keys.get(i), key.get(keys.get(i), org.bson.BsonNull.VALUE)));
            alternatives.add(conditions.size() == 1 ? conditions.get(0) : Filters.and(conditions));
        }
        return Filters.or(alternatives);
    }

    private static Bson after(String field, BsonValue value) {
        if (value.isNull()) {
            return Filters.ne(field, null);
        }
        List<BsonType> later = TYPE_ORDER.subList(TYPE_ORDER.indexOf(bracket(value.getBsonType())) + 1, TYPE_ORDER.size());
        return later.isEmpty() ? Filters.gt(field, value)
            : Filters.or(Filters.gt(field, value),
                new Document(field, new Document("$type", later.stream().map(BsonType::getValue).toList())));
    }

    /** Numbers compare as one type. */
    private static BsonType bracket(BsonType type) {
        return switch (type) {
            case INT32, INT64, DOUBLE, DECIMAL128 -> BsonType.DOUBLE;
            case SYMBOL -> BsonType.STRING;
            default -> type;
        };
    }

    private static BsonDocument key(List<String> keys, BsonDocument document) {
        BsonDocument key = new BsonDocument();
        for (String path : keys) {
            BsonValue value = document;
            for (String part : path.split("\\.")) {
                value = value != null && value.isDocument() ? value.asDocument().get(part) : null;
            }
            key.append(path, value == null ? org.bson.BsonNull.VALUE : value);
        }
        return key;
    }

}
