package dev.ferry.mongodb.entity;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import com.mongodb.ReadPreference;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.mongodb.changestream.ResumeTokenFields;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.store.CanonicalJson;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * Reads the changes of one entity collection — every insert, update, replace and delete, whether from the change
 * stream or a copy — as {@link EntityChange}s. The version is the change's cluster time and its place among the
 * changes sharing that cluster time (see {@link EntityVersion}); a copied document carries the position it is
 * versioned at (its chunk's high watermark), at place 0. A source with a version field of its own (sharded clusters) takes the document's
 * field instead (a delete: the pre-image's, just after it) and refuses a change not above its key's tombstone
 * ({@link TombstoneRule}). Changes that cannot be published become dead letters with the reason, never dropped: a
 * record larger than the broker takes ({@link RecordSize}), an id whose key is also another document's key
 * ({@link RivalKeys}).
 */
public final class EntityChanges implements WatchedCollection.ChangeReader {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    private static final List<String> OPERATIONS = List.of("insert", "update", "replace", "delete");

    private final EntitySource source;
    private final RivalKeys rivals;
    /** With a version field of the users' own; null when the cluster time orders. */
    private final VersionField versionField;
    private final TombstoneRule tombstones;

    /** A source versioned by cluster time. */
    public EntityChanges(EntitySource source, MongoCollection<BsonDocument> collection) {
        this(source, collection, null);
    }

    /**
     * @param collection the source collection, read for rival ids
     * @param ledger     where a source with a version field records its deletes (Ferry's database); null otherwise
     */
    public EntityChanges(EntitySource source, MongoCollection<BsonDocument> collection,
                         MongoCollection<BsonDocument> ledger) {
        if (source.versionField() != null && ledger == null) {
            throw new IllegalArgumentException("a source with a version field needs a tombstone ledger");
        }
        this.source = source;
        this.rivals = new RivalKeys(collection);
        this.versionField = source.versionField() == null ? null : new VersionField(source.versionField());
        this.tombstones = source.versionField() == null ? null : new TombstoneRule(
            new TombstoneLedger(ledger.withReadPreference(ReadPreference.primary()), source.name()), source.entity(),
            source.versionField());
    }

    public EntitySource source() {
        return source;
    }

    @Override
    public List<String> operations() {
        return OPERATIONS;
    }

    @Override
    public boolean wantsBeforeImages() {
        return source.beforeImages();
    }

    @Override
    public List<Change> read(List<ChangeStreamDocument<RawBsonDocument>> changes) {
        List<BsonValue> ids = new ArrayList<>(changes.size());
        for (ChangeStreamDocument<RawBsonDocument> change : changes) {
            BsonDocument key = change.getDocumentKey();
            ids.add(key == null ? null : key.get("_id"));
        }
        Set<String> contested = rivals.contested(ids);
        TombstoneRule.Batch judging = tombstones == null ? null : tombstones.batch(keys(ids));
        List<Change> read = new ArrayList<>(changes.size());
        for (int i = 0; i < changes.size(); i++) {
            Change change;
            try {
                change = streamed(changes.get(i), ids.get(i), contested);
            } catch (com.mongodb.MongoException e) {
                throw e; // MongoDB's failure, not the document's: the relay's term ends and reads it again
            } catch (RuntimeException e) {
                // Reading one change does no I/O: whatever fails is this document's fault, and costs it alone.
                change = new Change.Refused(new ResumeToken(RelaxedJson.of(changes.get(i).getResumeToken())),
                    ids.get(i) == null ? "{}" : idOnly(ids.get(i)), "entity " + source.entity() + ": cannot be read: "
                    + e);
            }
            if (judging != null && change instanceof Change.EntityChanged changed) {
                change = judging.judged(changed, position(changes.get(i).getResumeToken()), idOnly(ids.get(i)));
            }
            read.add(change);
        }
        if (judging != null) {
            judging.finish();
        }
        return read;
    }

    @Override
    public List<Change> readCopied(ResumeToken stamp, ResumeToken notedAt, List<BsonDocument> documents) {
        Optional<ResumeTokenFields.ClusterTime> noted = ResumeTokenFields.clusterTime(notedAt);
        List<BsonValue> ids = documents.stream().map(document -> document.get("_id")).toList();
        Set<String> contested = rivals.contested(ids);
        TombstoneRule.Batch judging = tombstones == null ? null : tombstones.batch(keys(ids));
        List<Change> read = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            BsonDocument document = documents.get(i);
            if (noted.isEmpty()) {
                read.add(new Change.Refused(stamp, idOnly(ids.get(i)), "the copy's noted stream position "
                    + notedAt.value() + " carries no cluster time, so its documents would have no version"));
                continue;
            }
            EntityVersion version;
            try {
                version = versionField != null ? EntityVersion.ofField(versionField.valueIn(document))
                    : EntityVersion.ofClusterTime(noted.get().seconds(), noted.get().increment(), 0);
            } catch (IllegalArgumentException e) {
                read.add(refused(stamp, ids.get(i), e.getMessage()));
                continue;
            }
            Change change;
            try {
                change = change(stamp, ids.get(i), contested, EntityOperation.CREATE, version, document, null,
                    noted.get().seconds(), noted.get().increment());
            } catch (RuntimeException e) {
                change = refused(stamp, ids.get(i), "cannot be read: " + e); // this document's fault alone (no I/O)
            }
            if (judging != null && change instanceof Change.EntityChanged changed) {
                change = judging.judged(changed, position(notedAt), idOnly(ids.get(i)));
            }
            read.add(change);
        }
        return read;
    }

    @Override
    public WatchedCollection.RecordKey keyOf(BsonDocument document) {
        BsonValue id = document.get("_id");
        return new WatchedCollection.RecordKey(source.entity(), id == null ? null : EntityKeys.of(id));
    }

    private Change streamed(ChangeStreamDocument<RawBsonDocument> change, BsonValue id, Set<String> contested) {
        ResumeToken token = new ResumeToken(RelaxedJson.of(change.getResumeToken()));
        String operationType = change.getOperationTypeString();
        EntityOperation operation = switch (operationType == null ? "" : operationType) {
            case "insert" -> EntityOperation.CREATE;
            case "update", "replace" -> EntityOperation.UPDATE;
            case "delete" -> EntityOperation.DELETE;
            default -> null;
        };
        RawBsonDocument document = change.getFullDocument();
        if (operation == null) {
            return new Change.Refused(token, "{}", "not an entity change: operation type " + operationType);
        }
        if (id == null) {
            return new Change.Refused(token, "{}", operationType + " event without a documentKey._id");
        }
        if (operation == EntityOperation.CREATE && document == null) {
            return new Change.Refused(token, idOnly(id), "insert event without a document");
        }
        if (operation == EntityOperation.UPDATE && document == null && source.beforeImages()) {
            // With images kept, a missing post-image is not "deleted since": it expired or was never written.
            return refused(token, id, "the update carries no post-image although the collection keeps them (expired? "
                + "changeStreamPreAndPostImages off?)");
        }
        BsonTimestamp clusterTime = change.getClusterTime();
        Optional<ResumeTokenFields.ClusterTime> time = clusterTime != null
            ? Optional.of(new ResumeTokenFields.ClusterTime(Integer.toUnsignedLong(clusterTime.getTime()),
                Integer.toUnsignedLong(clusterTime.getInc())))
            : ResumeTokenFields.clusterTime(change.getResumeToken());
        if (time.isEmpty()) {
            return new Change.Refused(token, idOnly(id), "the change has no cluster time, so no version");
        }
        OptionalLong index = ResumeTokenFields.transactionIndex(change.getResumeToken());
        if (index.isEmpty() && change.getTxnNumber() != null) {
            // Two changes of one transaction share a cluster time; without the index they would share a version.
            return new Change.Refused(token, idOnly(id), "a change inside a transaction whose resume token does "
                + "not tell its place in the transaction, so its version would not be unique: " + token.value());
        }
        EntityVersion version;
        if (versionField != null) {
            BsonDocument versioned = operation == EntityOperation.DELETE ? change.getFullDocumentBeforeChange() : document;
            if (versioned == null) {
                return refused(token, id, "the " + operation.wireName() + " carries no document to read "
                    + versionField.path() + " from" + (operation == EntityOperation.DELETE ? " (the collection must "
                    + "keep pre-images: changeStreamPreAndPostImages)" : ""));
            }
            try {
                long value = versionField.valueIn(versioned);
                version = operation == EntityOperation.DELETE ? EntityVersion.ofFieldDelete(value)
                    : EntityVersion.ofField(value);
            } catch (IllegalArgumentException e) {
                return refused(token, id, e.getMessage());
            }
        } else {
            version = EntityVersion.ofClusterTime(time.get().seconds(), time.get().increment(), index.orElse(0) + 1);
        }
        return change(token, id, contested, operation, version, operation == EntityOperation.DELETE ? null : document,
            change.getFullDocumentBeforeChange(), time.get().seconds(), time.get().increment());
    }

    /** The change, or its dead letter if its key is contested or its record too large. */
    private Change change(ResumeToken token, BsonValue id, Set<String> contested, EntityOperation operation,
                          EntityVersion version, BsonDocument document, BsonDocument before, long seconds,
                          long increment) {
        String key = EntityKeys.of(id);
        if (contested.contains(key)) {
            return new Change.Refused(token, idOnly(id), "entity " + source.entity() + ": the key '" + key
                + "' of _id " + EntityKeys.canonical(id) + " is also the key of another document's _id in "
                + source.database() + "." + source.collection() + " (a string equal to an ObjectId's hex, or to another "
                + "value's Extended JSON); refused rather than merged: keep the collection's ids of one type",
                Change.Refused.Cause.KEY_COLLISION);
        }
        String documentJson = document == null ? null : CanonicalJson.of(document);
        String beforeJson = before == null ? null : CanonicalJson.of(before);
        long bytes = RecordSize.of(key, version.wire(), documentJson, beforeJson);
        if (bytes > source.maxRecordBytes()) {
            return new Change.Refused(token, idOnly(id), "entity " + source.entity() + " id " + key + ": the "
                + operation.wireName() + " is about " + bytes + " bytes as a record, over the broker's "
                + source.maxRecordBytes() + " (maxRecordBytes); not published", Change.Refused.Cause.OVERSIZED);
        }
        return new Change.EntityChanged(token, new EntityChange(source.entity(), key, operation, version, documentJson,
            beforeJson, source.database(), source.collection(), seconds, increment));
    }

    private Change.Refused refused(ResumeToken token, BsonValue id, String why) {
        return new Change.Refused(token, idOnly(id), "entity " + source.entity() + " id " + EntityKeys.of(id) + ": "
            + why);
    }

    private static List<String> keys(List<BsonValue> ids) {
        return ids.stream().filter(Objects::nonNull).map(EntityKeys::of).toList();
    }

    /** A stream position as the tombstone ledger orders them: the token's {@code _data}. */
    private static String position(ResumeToken token) {
        try {
            return position(BsonDocument.parse(token.value()));
        } catch (RuntimeException e) {
            return "";
        }
    }

    private static String position(BsonDocument token) {
        return token.getString("_data", new BsonString("")).getValue();
    }

    private static String idOnly(BsonValue id) {
        return new BsonDocument("_id", id).toJson(CANONICAL);
    }
}
