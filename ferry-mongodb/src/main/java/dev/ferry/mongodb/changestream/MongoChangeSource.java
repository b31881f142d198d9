package dev.ferry.mongodb.changestream;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.conversions.Bson;

import com.mongodb.MongoNamespace;
import com.mongodb.client.ChangeStreamIterable;
import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCluster;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.FullDocument;
import com.mongodb.client.model.changestream.FullDocumentBeforeChange;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * The watched collections' inserts as one {@link ChangeSource}: one change stream, of the narrowest scope that
 * covers them (a collection's, a database's, or the cluster's), filtered by namespace, so that one resume token and
 * one checkpoint cover every source. Where entity collections are watched, the stream also carries the
 * watermarks of their copies ({@link WatermarkCollection}). Each inserted document becomes a change by its collection's reader; a document
 * a reader cannot read becomes {@link Change.Refused} (never a stop or a crash loop), and so does a change event too
 * large for MongoDB to return, by its document's key ({@link MongoChangeFeed}). A change of a collection no source
 * names is ignored. Its events are decoded in one pass ({@link ChangeEventCodec}). Event stores are insert-only, so only their inserts are read; an entity collection's
 * documents change in place, so every insert, update, replace and delete of it is read.
 */
public final class MongoChangeSource implements ChangeSource {

    private final Function<List<Bson>, ChangeStreamIterable<RawBsonDocument>> watch;
    private final List<WatchedCollection> collections;
    private final Map<String, WatchedCollection> byNamespace;
    private final WatchedCollection only;
    private final ChangeStreamTail.Settings settings;
    /** The oplog's window, where the deployment is known; null for a source made of one collection alone. */
    private final OplogWindow oplogWindow;

    /** Ferry's own event store in one collection (its oplog window unknown: see {@link #of}). */
    public MongoChangeSource(MongoCollection<RawBsonDocument> commits, ChangeStreamTail.Settings settings) {
        this(stages -> ChangeStreamTail.decodedInOnePass(commits).watch(stages, RawBsonDocument.class),
            List.of(new WatchedCollection(commits.getNamespace().getDatabaseName(),
                commits.getNamespace().getCollectionName(), DocumentReaders.commits())), settings, null);
    }

    private MongoChangeSource(Function<List<Bson>, ChangeStreamIterable<RawBsonDocument>> watch,
                              List<WatchedCollection> collections, ChangeStreamTail.Settings settings,
                              OplogWindow oplogWindow) {
        this.watch = watch;
        this.settings = settings;
        this.oplogWindow = oplogWindow;
        this.collections = List.copyOf(collections);
        this.byNamespace = collections.stream().collect(Collectors.toMap(WatchedCollection::namespace, c -> c));
        this.only = collections.size() == 1 ? collections.get(0) : null;
    }

    /**
     * The changes of {@code included}: inserts of event stores, every operation of entity collections; by namespace
     * unless the stream is of that one collection anyway.
     */
    private List<Bson> pipeline(List<WatchedCollection> included) {
        if (included.isEmpty()) {
            return List.of(new Document("$match", new Document("operationType", "none of them"))); // nothing
        }
        if (only != null) {
            return List.of(new Document("$match", new Document("operationType", operationTypes(only))));
        }
        if (included.stream().noneMatch(WatchedCollection::readsEveryOperation)) {
            return List.of(new Document("$match", new Document("operationType", "insert").append("$or", included.stream()
                .map(c -> new Document("ns.db", c.database()).append("ns.coll", c.collection())).toList())));
        }
        return List.of(new Document("$match", new Document("$or", included.stream()
            .map(c -> new Document("ns.db", c.database()).append("ns.coll", c.collection())
                .append("operationType", operationTypes(c))).toList())));
    }

    private static Object operationTypes(WatchedCollection collection) {
        return collection.reader() instanceof WatchedCollection.ChangeReader changes
            ? new Document("$in", changes.operations()) : "insert";
    }

    /**
     * The stream's options for what its changes carry: an entity's update carries the document after it (the
     * post-image where every entity collection keeps images, else the update lookup's result: the document as it is
     * when the stream reads the change), and the document before it where a collection keeps pre-images.
     */
    private ChangeStreamIterable<RawBsonDocument> watch(List<Bson> pipeline, List<WatchedCollection> included) {
        ChangeStreamIterable<RawBsonDocument> stream = watch.apply(pipeline);
        List<WatchedCollection.ChangeReader> entities = included.stream()
            .filter(WatchedCollection::readsEveryOperation)
            .map(c -> (WatchedCollection.ChangeReader) c.reader()).toList();
        if (entities.isEmpty()) {
            return stream;
        }
        // All or none (the configuration says so): a missing post-image is then dead-lettered by the reader, not a
        // stream that fails at the same change on every retry.
        boolean imagesEverywhere = entities.stream().allMatch(WatchedCollection.ChangeReader::wantsBeforeImages);
        stream = stream.fullDocument(imagesEverywhere ? FullDocument.WHEN_AVAILABLE : FullDocument.UPDATE_LOOKUP);
        if (entities.stream().anyMatch(WatchedCollection.ChangeReader::wantsBeforeImages)) {
            stream = stream.fullDocumentBeforeChange(FullDocumentBeforeChange.WHEN_AVAILABLE);
        }
        return stream;
    }

    /**
     * The collections' inserts through one stream: a collection's if there is one, a database's if they share one,
     * the cluster's otherwise.
     */
    public static MongoChangeSource of(MongoClient client, List<WatchedCollection> collections,
                                       ChangeStreamTail.Settings settings) {
        if (collections.isEmpty()) {
            throw new IllegalArgumentException("a relay needs at least one source");
        }
        collections = WatermarkCollection.besides(collections);
        List<String> databases = collections.stream().map(WatchedCollection::database).distinct().toList();
        Function<List<Bson>, ChangeStreamIterable<RawBsonDocument>> watch;
        if (collections.size() == 1) {
            WatchedCollection one = collections.get(0);
            MongoCollection<RawBsonDocument> collection = ChangeStreamTail.decodedInOnePass(client
                .getDatabase(one.database()).getCollection(one.collection(), RawBsonDocument.class));
            watch = stages -> collection.watch(stages, RawBsonDocument.class);
        } else if (databases.size() == 1) {
            MongoDatabase database = client.getDatabase(databases.get(0));
            MongoDatabase decoded = database.withCodecRegistry(ChangeEventCodec.registry(database.getCodecRegistry()));
            watch = stages -> decoded.watch(stages, RawBsonDocument.class);
        } else {
            MongoCluster decoded = client.withCodecRegistry(ChangeEventCodec.registry(client.getCodecRegistry()));
            watch = stages -> decoded.watch(stages, RawBsonDocument.class);
        }
        return new MongoChangeSource(watch, collections, settings, new OplogWindow(client));
    }

    /** The cluster time in the token (see {@link ResumeTokenTime}). */
    @Override
    public Optional<Instant> timeOf(ResumeToken position) {
        return ResumeTokenTime.of(position);
    }

    /** The oplog's window, from {@code local.oplog.rs}; empty where it is not readable. */
    @Override
    public Optional<RetainedHistory> retained() {
        return oplogWindow == null ? Optional.empty() : oplogWindow.read();
    }

    @Override
    public ChangeFeed open(StartPosition start) {
        return open(start, Set.of());
    }

    @Override
    public ChangeFeed open(StartPosition start, Set<String> excluded) {
        return feed(start, collections.stream().filter(c -> !excluded.contains(c.name())).toList());
    }

    @Override
    public ChangeFeed openOnly(StartPosition start, String source) {
        List<WatchedCollection> one = collections.stream().filter(c -> c.name().equals(source)).toList();
        if (one.isEmpty()) {
            throw new IllegalArgumentException("no source named " + source + " is watched");
        }
        return feed(start, one);
    }

    /**
     * Resume tokens in the order of their {@code _data}: since MongoDB 4.2 a hex-encoded KeyString, whose byte order
     * is the stream's order (cluster time first, then the event's place within it).
     */
    @Override
    public int compare(ResumeToken a, ResumeToken b) {
        return data(a).compareToIgnoreCase(data(b));
    }

    private static String data(ResumeToken token) {
        org.bson.BsonValue data = org.bson.BsonDocument.parse(token.value()).get("_data");
        if (data == null || !data.isString()) {
            throw new IllegalStateException("a resume token without a hex-encoded _data cannot be ordered: " + token);
        }
        return data.asString().getValue();
    }

    private ChangeFeed feed(StartPosition start, List<WatchedCollection> included) {
        List<Bson> pipeline = pipeline(included);
        return new MongoChangeFeed(() -> watch(pipeline, included),
            () -> watch.apply(OversizedEvent.identifying(pipeline)), this::read, settings, start);
    }

    /**
     * The batch's changes in stream order. An entity collection's changes are read together (what they need from
     * MongoDB is one query per batch), then put back in their places.
     */
    private List<Change> read(List<ChangeStreamDocument<RawBsonDocument>> batch) {
        Change[] read = new Change[batch.size()];
        Map<WatchedCollection, List<Integer>> entityChanges = new LinkedHashMap<>();
        for (int i = 0; i < batch.size(); i++) {
            WatchedCollection source = sourceOf(batch.get(i).getNamespace());
            if (source != null && source.readsEveryOperation()) {
                entityChanges.computeIfAbsent(source, s -> new ArrayList<>()).add(i);
            } else if (source != null) {
                read[i] = toChange(source, batch.get(i));
            }
        }
        entityChanges.forEach((source, places) -> {
            List<Change> changes = source.readChanges(places.stream().map(batch::get).toList());
            for (int i = 0; i < places.size(); i++) {
                read[places.get(i)] = changes.get(i);
            }
        });
        List<Change> changes = new ArrayList<>(batch.size());
        for (Change change : read) {
            if (change != null) {
                changes.add(change);
            }
        }
        return changes;
    }

    private WatchedCollection sourceOf(MongoNamespace namespace) {
        if (only != null) {
            return only; // a collection's own stream carries nothing else
        }
        return namespace == null ? null : byNamespace.get(namespace.getFullName());
    }

    private static Change toChange(WatchedCollection source, ChangeStreamDocument<RawBsonDocument> change) {
        ResumeToken token = new ResumeToken(RelaxedJson.of(change.getResumeToken()));
        RawBsonDocument document = change.getFullDocument();
        if (document == null) {
            return new Change.Refused(token, "{}", "insert event without a document");
        }
        return source.read(token, document);
    }
}
