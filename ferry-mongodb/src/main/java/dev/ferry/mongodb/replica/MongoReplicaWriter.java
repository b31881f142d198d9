package dev.ferry.mongodb.replica;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.bson.BSONException;
import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.conversions.Bson;
import org.bson.json.JsonParseException;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.MongoNodeIsRecoveringException;
import com.mongodb.MongoNotPrimaryException;
import com.mongodb.MongoSocketException;
import com.mongodb.MongoTimeoutException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ChangeRuns;
import dev.ferry.core.replica.ChangeRuns.Plan;
import dev.ferry.core.replica.ChangeRuns.Run;
import dev.ferry.core.replica.ChangesRejected;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.target.TargetUnavailable;

/**
 * Entity replicas in MongoDB, a collection per entity ({@link MongoReplicaCollection}). A replica document is the
 * source document itself — its canonical Extended JSON read back to BSON, so every type survives (an Int64 stays an
 * Int64, a Decimal128 a Decimal128, dates, ObjectIds, nested arrays alike) — plus one field Ferry keeps:
 * <pre>{_id: …, …the source's fields…, _ferry: {version: "…"}}
 * {_id: …, _ferry: {version: "…", deletedAt: ISODate(…)}}   // a tombstone</pre>
 * Compare a replica with its source leaving {@code _ferry} out: the rest is BSON-equal. A source document with a field
 * named {@code _ferry} cannot be replicated (its write fails with that reason).
 * <p>
 * A batch is written in one unordered bulk write of upserts, each replacing an id's document with the last new state
 * of its run ({@link ChangeRuns}) on a version condition, without reading first: a run is planned as if nothing were
 * stored and written over any stored version below the plan's floor ({@code {_id, "_ferry.version": {$lt: floor}}},
 * {@link Plan#floor()}), where that plan is exact. A replica holding the floor's version or a newer one is not matched,
 * so the upsert collides with it on {@code _id}: that duplicate-key error is no failure, the run is read and planned
 * again over what is stored (usually: all duplicates, a redelivery), and written conditional on exactly that version
 * ({@code {_id, "_ferry.version": stored}}). Read first are only the runs whose {@code _id} the key leaves open (a
 * delete of a key that may be an ObjectId or a string: {@link ReplicaIds}) and those with nothing to write over
 * nothing (an update whose document was gone, which is a duplicate if the replica is ahead). A delete replaces the
 * document with its tombstone, so an older change arriving later finds a higher version and changes nothing; a
 * re-create with a higher version replaces the tombstone.
 * <p>
 * A document the server or the driver refuses (too large, a top-level field name starting with {@code $}, not Extended
 * JSON) fails only its id: the others of the batch are written and the refused ids reported in {@link ChangesRejected}.
 */
public final class MongoReplicaWriter implements ReplicaWriter {

    public static final String FERRY = "_ferry";
    public static final String VERSION = FERRY + ".version";
    public static final String DELETED_AT = FERRY + ".deletedAt";

    /** Rounds a run is read and planned again when its document changed between the read and the write. */
    private static final int MAX_ATTEMPTS = 5;

    private final MongoDatabase database;
    private final Map<String, String> collectionByEntity = new LinkedHashMap<>();
    private final Set<String> indexed = ConcurrentHashMap.newKeySet();
    private final Duration tombstoneRetention;
    private final Clock clock;

    /**
     * @param tombstoneRetention tombstones written longer ago are removed by {@link #purgeTombstones()}
     * @param clock              gives a tombstone's {@code deletedAt} and the purge's now
     */
    public MongoReplicaWriter(MongoDatabase database, List<MongoReplicaCollection> collections, Duration tombstoneRetention,
                              Clock clock) {
        this.database = database;
        this.tombstoneRetention = tombstoneRetention;
        this.clock = clock;
        for (MongoReplicaCollection collection : collections) {
            if (collectionByEntity.put(collection.entity(), collection.collection()) != null) {
                throw new IllegalArgumentException("entity " + collection.entity() + " has two replica collections");
            }
        }
    }

    /**
     * {@inheritDoc} A MongoDB that cannot be reached now (socket, timeout, no primary, a node recovering) is
     * {@link TargetUnavailable}: the engine waits it out without parking.
     */
    @Override
    public List<Outcome> write(List<EntityChange> changes) {
        try {
            return writeReachable(changes);
        } catch (MongoSocketException | MongoTimeoutException | MongoNotPrimaryException
                 | MongoNodeIsRecoveringException e) {
            throw new TargetUnavailable("MongoDB replica: cannot write " + changes.size() + " changes now: "
                + e.getMessage(), e);
        }
    }

    private List<Outcome> writeReachable(List<EntityChange> changes) {
        if (changes.isEmpty()) {
            return List.of();
        }
        ChangeRuns runs = ChangeRuns.of(changes);
        Map<String, List<Run>> byCollection = new LinkedHashMap<>();
        for (Run run : runs.runs()) {
            byCollection.computeIfAbsent(collectionOf(run.entity()), name -> new ArrayList<>()).add(run);
        }
        BsonDateTime now = new BsonDateTime(clock.millis());
        Documents documents = new Documents();
        List<Plan> plans = new ArrayList<>(runs.runs().size());
        Map<Run, RuntimeException> refused = new IdentityHashMap<>();
        byCollection.forEach((name, ofCollection) -> plans.addAll(write(collection(name), ofCollection, now, documents, refused)));
        return runs.outcomes(plans, refused);
    }

    /** Writes the runs of one collection: their final plans; a run the server or driver refuses goes to refused. */
    private List<Plan> write(MongoCollection<BsonDocument> collection, List<Run> runs, BsonDateTime now, Documents documents,
                             Map<Run, RuntimeException> refused) {
        List<Plan> done = new ArrayList<>(runs.size());
        List<Planned> planned = new ArrayList<>(runs.size());
        List<Run> pending = new ArrayList<>();
        for (Run run : runs) {
            BsonValue id;
            try {
                id = knownId(run, documents);
            } catch (IllegalArgumentException unreadable) {
                refused.put(run, unreadable);
                continue;
            }
            Plan overNothing = id == null ? null : run.plan(null);
            if (overNothing != null && overNothing.write() != null) {
                planned.add(new Planned(overNothing, new Stored(id, null))); // written without a read
            } else {
                pending.add(run); // which _id, or whether it is a duplicate, only the replica can say
            }
        }
        for (int attempt = 1; !planned.isEmpty() || !pending.isEmpty(); attempt++) {
            if (attempt > MAX_ATTEMPTS + 1) { // the first attempt may have read nothing
                for (Run run : pending) {
                    refused.put(run, new IllegalStateException("the replica of " + run.entity() + "/" + run.id() + " in "
                        + collection.getNamespace() + " kept changing under this writer " + MAX_ATTEMPTS + " times: is a "
                        + "document without " + FERRY + " in the collection, or another program writing it?"));
                }
                break;
            }
            if (!pending.isEmpty()) {
                Map<Run, Stored> stored = stored(collection, pending, documents);
                for (Run run : pending) {
                    Stored current = stored.get(run);
                    planned.add(new Planned(run.plan(current.version()), current));
                }
            }
            List<ReplaceOneModel<BsonDocument>> models = new ArrayList<>();
            List<Planned> modelled = new ArrayList<>();
            for (Planned each : planned) {
                if (each.plan().write() == null) {
                    done.add(each.plan());
                    continue;
                }
                try {
                    models.add(replace(each, now, documents));
                    modelled.add(each);
                } catch (IllegalArgumentException unreadable) {
                    refused.put(each.plan().run(), unreadable);
                }
            }
            Written written = bulkWrite(collection, models);
            pending = new ArrayList<>();
            for (int model = 0; model < modelled.size(); model++) {
                Plan plan = modelled.get(model).plan();
                if (written.collided().contains(model)) {
                    pending.add(plan.run()); // a version at or above the condition is stored: plan over it
                } else if (written.refused().containsKey(model)) {
                    refused.put(plan.run(), written.refused().get(model));
                } else {
                    done.add(plan);
                }
            }
            planned = new ArrayList<>();
        }
        return done;
    }

    /**
     * A conditional upsert that never overwrites a newer document: over a stored version it matches only that version;
     * over nothing stored (read or not) it matches only a version below the plan's floor, where the plan over nothing
     * is exact ({@link Plan#floor()}).
     */
    private static ReplaceOneModel<BsonDocument> replace(Planned planned, BsonDateTime now, Documents documents) {
        EntityChange change = planned.plan().write();
        BsonDocument ferry = new BsonDocument("version", new BsonString(change.version().wire()));
        BsonDocument replacement;
        if (change.operation() == EntityOperation.DELETE) {
            ferry.append("deletedAt", now);
            replacement = new BsonDocument("_id", planned.stored().id());
        } else {
            replacement = documents.of(change);
            Documents.refuseWhatTheDriverWould(change, replacement);
        }
        replacement.put(FERRY, ferry); // put: a run planned again writes the same document with its new _ferry
        EntityVersion stored = planned.stored().version();
        Bson filter = stored == null
            ? Filters.and(Filters.eq("_id", replacement.get("_id")), Filters.lt(VERSION, planned.plan().floor().wire()))
            : Filters.and(Filters.eq("_id", replacement.get("_id")), Filters.eq(VERSION, stored.wire()));
        return new ReplaceOneModel<>(filter, replacement, new ReplaceOptions().upsert(true));
    }

    /**
     * Writes the models in one unordered bulk write: which collided with a document that did not match their condition,
     * and which the server refused. A model the driver still refuses while sending ({@link Documents} refuses what it
     * knows of before) fails the whole call: then each model is written alone, to find it; one the call had sent before
     * collides then and is read as a duplicate (never the other way round).
     */
    private static Written bulkWrite(MongoCollection<BsonDocument> collection, List<ReplaceOneModel<BsonDocument>> models) {
        Written written = new Written(new HashSet<>(), new HashMap<>());
        if (models.isEmpty()) {
            return written;
        }
        try {
            collection.bulkWrite(models, new BulkWriteOptions().ordered(false));
        } catch (MongoBulkWriteException e) {
            if (e.getWriteConcernError() != null) {
                // Not known durable: the offset must not be acknowledged; written again, it is a duplicate.
                throw new TargetUnavailable("MongoDB replica: a write not acknowledged by the write concern: "
                    + e.getWriteConcernError().getMessage(), e);
            }
            for (BulkWriteError error : e.getWriteErrors()) {
                if (error.getCategory() == ErrorCategory.DUPLICATE_KEY) {
                    written.collided().add(error.getIndex());
                } else {
                    written.refused().put(error.getIndex(), new IllegalStateException("MongoDB replica: the server refused "
                        + "the document: " + error.getMessage() + " (code " + error.getCode() + ")", e));
                }
            }
        } catch (IllegalArgumentException | BSONException refusedBeforeSending) {
            if (models.size() == 1) {
                written.refused().put(0, refusedBeforeSending);
                return written;
            }
            for (int model = 0; model < models.size(); model++) {
                Written alone = bulkWrite(collection, List.of(models.get(model)));
                if (!alone.collided().isEmpty()) {
                    written.collided().add(model);
                }
                if (!alone.refused().isEmpty()) {
                    written.refused().put(model, alone.refused().get(0));
                }
            }
        }
        return written;
    }

    /** The stored state of each run's document, in one query; a delete's {@code _id} is settled here. */
    private Map<Run, Stored> stored(MongoCollection<BsonDocument> collection, List<Run> runs, Documents documents) {
        Map<Run, List<BsonValue>> candidates = new IdentityHashMap<>();
        List<BsonValue> all = new ArrayList<>();
        for (Run run : runs) {
            List<BsonValue> ids = idsOf(run, documents);
            candidates.put(run, ids);
            all.addAll(ids);
        }
        Map<BsonValue, BsonDocument> found = new HashMap<>();
        for (BsonDocument document : collection.find(Filters.in("_id", all)).projection(Projections.include(FERRY))) {
            found.put(document.get("_id"), document);
        }
        Map<Run, Stored> stored = new IdentityHashMap<>();
        for (Run run : runs) {
            List<BsonValue> ids = candidates.get(run);
            BsonValue id = ids.stream().filter(found::containsKey).findFirst().orElse(ids.get(0));
            stored.put(run, new Stored(id, versionOf(found.get(id))));
        }
        return stored;
    }

    /** The run's {@code _id}: exactly, from a document of the run; else what its key can stand for. */
    private static List<BsonValue> idsOf(Run run, Documents documents) {
        for (EntityChange change : run.changes()) {
            if (change.documentJson() != null) {
                BsonValue id = documents.of(change).get("_id");
                if (id != null) {
                    return List.of(id);
                }
            }
        }
        return ReplicaIds.candidates(run.id());
    }

    /** The run's {@code _id} if known without a read (a key that can stand for one only), else null. */
    private static BsonValue knownId(Run run, Documents documents) {
        List<BsonValue> ids = idsOf(run, documents);
        return ids.size() == 1 ? ids.get(0) : null;
    }

    private static EntityVersion versionOf(BsonDocument document) {
        if (document == null || !document.isDocument(FERRY) || !document.getDocument(FERRY).isString("version")) {
            return null;
        }
        return new EntityVersion(document.getDocument(FERRY).getString("version").getValue());
    }

    @Override
    public Optional<StoredVersion> stored(String entity, String id) {
        for (BsonValue candidate : ReplicaIds.candidates(id)) {
            BsonDocument document = collection(collectionOf(entity)).find(Filters.eq("_id", candidate))
                .projection(Projections.include(FERRY)).first();
            EntityVersion version = versionOf(document);
            if (version != null) {
                return Optional.of(new StoredVersion(version, document.getDocument(FERRY).containsKey("deletedAt")));
            }
        }
        return Optional.empty();
    }

    @Override
    public long purgeTombstones() {
        BsonDateTime cutoff = new BsonDateTime(clock.instant().minus(tombstoneRetention).toEpochMilli());
        long purged = 0;
        for (String name : collectionByEntity.values()) {
            purged += collection(name).deleteMany(Filters.lt(DELETED_AT, cutoff)).getDeletedCount();
        }
        return purged;
    }

    private String collectionOf(String entity) {
        String name = collectionByEntity.get(entity);
        if (name == null) {
            throw new IllegalArgumentException("entity '" + entity + "' has no replica collection; configured: "
                + collectionByEntity.keySet());
        }
        return name;
    }

    /** The collection, with the purge's index made on first use (sparse: only tombstones have the field). */
    private MongoCollection<BsonDocument> collection(String name) {
        MongoCollection<BsonDocument> collection = database.getCollection(name, BsonDocument.class);
        if (!indexed.contains(name)) {
            collection.createIndex(Indexes.ascending(DELETED_AT), new IndexOptions().sparse(true).name("ferry_tombstones"));
            indexed.add(name);
        }
        return collection;
    }

    /** The batch's documents, each parsed once (a 10 KB document costs more to parse than to send). */
    private static final class Documents {
        /** MongoDB's limit of a document's BSON size. */
        private static final int MAX_DOCUMENT_BYTES = 16 * 1024 * 1024;
        /** Room kept for the {@code _ferry} field a replica document adds. */
        private static final int FERRY_BYTES = 1024;
        private final Map<EntityChange, BsonDocument> parsed = new IdentityHashMap<>();

        BsonDocument of(EntityChange change) {
            return parsed.computeIfAbsent(change, Documents::parse);
        }

        private static BsonDocument parse(EntityChange change) {
            BsonDocument document;
            try {
                document = BsonDocument.parse(change.documentJson());
            } catch (JsonParseException e) {
                throw new IllegalArgumentException("the document of " + change.entity() + "/" + change.id()
                    + " is not Extended JSON: " + e.getMessage(), e);
            }
            if (document.containsKey(FERRY)) {
                throw new IllegalArgumentException("the document of " + change.entity() + "/" + change.id() + " has a field "
                    + FERRY + ", which its replica keeps for Ferry's version: it cannot be replicated");
            }
            if (!document.containsKey("_id")) {
                throw new IllegalArgumentException("the document of " + change.entity() + "/" + change.id() + " has no _id");
            }
            return document;
        }

        /**
         * What the driver refuses of a state to write while it sends a bulk write — after it may have sent the models
         * before — is refused here, before: a top-level field named with a {@code $}, a document over MongoDB's size
         * limit (measured only where the JSON is long enough that it might be: BSON takes at most a few bytes per
         * character).
         */
        static void refuseWhatTheDriverWould(EntityChange change, BsonDocument document) {
            for (String field : document.keySet()) {
                if (field.startsWith("$")) {
                    throw new IllegalArgumentException("the document of " + change.entity() + "/" + change.id()
                        + " has a top-level field " + field + ": MongoDB replaces no document with a field named with a $");
                }
            }
            if (change.documentJson().length() > MAX_DOCUMENT_BYTES / 8) {
                int bytes = new RawBsonDocument(document, new BsonDocumentCodec()).getByteBuffer().remaining();
                if (bytes > MAX_DOCUMENT_BYTES - FERRY_BYTES) {
                    throw new IllegalArgumentException("the document of " + change.entity() + "/" + change.id() + " is "
                        + bytes + " bytes of BSON, with " + FERRY + " more than MongoDB's limit of " + MAX_DOCUMENT_BYTES);
                }
            }
        }
    }

    /** A run's document as stored: its {@code _id}, and its version (null if none is stored). */
    private record Stored(BsonValue id, EntityVersion version) {
    }

    /** What a bulk write did not write, by model index: collided with a document, refused by the server or driver. */
    private record Written(Set<Integer> collided, Map<Integer, RuntimeException> refused) {
    }

        /** A run's plan and what it was planned over (nothing, when it was not read). */
    private record Planned(Plan plan, Stored stored) {
    }
}
