package dev.ferry.mongodb.entity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.relay.Change;
import dev.ferry.core.relay.ResumeToken;
import dev.ferry.mongodb.changestream.ResumeTokenFields;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * Reads the changes of one entity collection — every insert, update, replace and delete, whether from the change
 * stream or a copy — as {@link EntityChange}s. The version is the change's cluster time and its place among the
 * changes sharing that cluster time (see {@link EntityVersion}); a copied document carries the stream position noted
 * before the copy, at place 0. A source with a version field of its own (sharded clusters) takes the document's
 * field instead (a delete: the pre-image's, just after it) and refuses a re-create not above its tombstone. Changes that cannot be published become dead letters with the reason, never
 * dropped: a record larger than the broker takes, and an id whose key is also another document's key.
 */
public final class EntityChanges implements WatchedCollection.ChangeReader {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    /** The record's JSON around the document(s): names, id, version, source, cluster time. */
    private static final int ENVELOPE_BYTES = 512;
    private static final List<String> OPERATIONS = List.of("insert", "update", "replace", "delete");

    private final EntitySource source;
    private final MongoCollection<BsonDocument> collection;
    /** With a version field of the users' own: the deletes' versions, for judging re-creates. */
    private final TombstoneLedger tombstones;

    /** A source versioned by cluster time. */
    public EntityChanges(EntitySource source, MongoCollection<BsonDocument> collection) {
        this(source, collection, null);
    }

    /**
     * @param collection the source collection, read for rival ids (from the primary: a secondary may lag)
     * @param ledger     where a source with a version field records its deletes (Ferry's database); null otherwise
     */
    public EntityChanges(EntitySource source, MongoCollection<BsonDocument> collection,
                         MongoCollection<BsonDocument> ledger) {
        if (source.versionField() != null && ledger == null) {
            throw new IllegalArgumentException("a source with a version field needs a tombstone ledger");
        }
        this.source = source;
        this.collection = collection.withReadPreference(ReadPreference.primary());
        this.tombstones = source.versionField() == null ? null
            : new TombstoneLedger(ledger.withReadPreference(ReadPreference.primary()), source.name());
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
        Set<String> contested = contestedKeys(ids);
        Map<String, List<TombstoneLedger.Tombstone>> recorded = tombstones == null ? Map.of()
            : new HashMap<>(tombstones.load(ids.stream().filter(Objects::nonNull).map(EntityKeys::of).toList()));
        List<Map.Entry<String, TombstoneLedger.Tombstone>> deletes = new ArrayList<>();
        List<Change> read = new ArrayList<>(changes.size());
        for (int i = 0; i < changes.size(); i++) {
            Change change = streamed(changes.get(i), ids.get(i), contested);
            if (tombstones != null && change instanceof Change.EntityChanged changed) {
                change = judged(changed, changes.get(i), recorded, deletes);
            }
            read.add(change);
        }
        if (tombstones != null) {
            tombstones.record(deletes); // before anything of the batch is published
        }
        return read;
    }

    /**
     * With a version field: a delete is noted as its key's latest tombstone; any other change whose version is not
     * above the key's tombstone before it is refused — consumers would skip it as older than the delete, and it would
     * be lost.
     */
    private Change judged(Change.EntityChanged changed, ChangeStreamDocument<RawBsonDocument> change,
                          Map<String, List<TombstoneLedger.Tombstone>> recorded,
                          List<Map.Entry<String, TombstoneLedger.Tombstone>> deletes) {
        EntityChange entity = changed.change();
        String position = change.getResumeToken().getString("_data", new BsonString("")).getValue();
        List<TombstoneLedger.Tombstone> keyTombstones = recorded.computeIfAbsent(entity.id(), k -> new ArrayList<>());
        if (entity.operation() == EntityOperation.DELETE) {
            TombstoneLedger.Tombstone tombstone = new TombstoneLedger.Tombstone(position, entity.version());
            if (keyTombstones.stream().noneMatch(t -> t.position().equals(position))) {
                keyTombstones.add(tombstone);
            }
            deletes.add(Map.entry(entity.id(), tombstone));
            return changed;
        }
        return notBelowItsTombstone(changed, position, keyTombstones, idOnly(change.getDocumentKey().get("_id")));
    }

    /** @param idJson the refused change's dead letter: its {@code _id} alone */
    private Change notBelowItsTombstone(Change.EntityChanged changed, String position,
                                        List<TombstoneLedger.Tombstone> keyTombstones, String idJson) {
        EntityChange entity = changed.change();
        Optional<TombstoneLedger.Tombstone> before = TombstoneLedger.before(keyTombstones, position);
        if (before.isPresent() && !entity.version().isAfter(before.get().version())) {
            return new Change.Malformed(changed.token(), idJson, "entity "
                + source.entity() + " id " + entity.id() + ": " + (entity.operation() == EntityOperation.CREATE
                ? "re-created" : entity.operation().wireName() + "d") + " with " + source.versionField() + " "
                + entity.version() + ", not above its tombstone's " + before.get().version() + "; not published "
                + "(consumers would take it for older than the delete): a re-created document must carry a higher "
                + source.versionField() + " than the one deleted", Change.Malformed.Cause.STALE_VERSION);
        }
        return changed;
    }

    private static String position(ResumeToken token) {
        try {
            return org.bson.BsonDocument.parse(token.value()).getString("_data", new BsonString("")).getValue();
        } catch (RuntimeException e) {
            return "";
        }
    }

    @Override
    public List<Change> readCopied(ResumeToken stamp, ResumeToken notedAt, List<BsonDocument> documents) {
        Optional<ResumeTokenFields.ClusterTime> noted = ResumeTokenFields.clusterTime(notedAt);
        List<BsonValue> ids = documents.stream().map(document -> document.get("_id")).toList();
        Set<String> contested = contestedKeys(ids);
        Map<String, List<TombstoneLedger.Tombstone>> recorded = tombstones == null ? Map.of()
            : tombstones.load(ids.stream().filter(Objects::nonNull).map(EntityKeys::of).toList());
        String position = position(notedAt);
        List<Change> read = new ArrayList<>(documents.size());
        for (int i = 0; i < documents.size(); i++) {
            BsonDocument document = documents.get(i);
            if (noted.isEmpty()) {
                read.add(new Change.Malformed(stamp, idOnly(ids.get(i)), "the copy's noted stream position "
                    + notedAt.value() + " carries no cluster time, so its documents would have no version"));
                continue;
            }
            EntityVersion version;
            try {
                version = source.versionField() != null ? EntityVersion.ofField(fieldVersion(document))
                    : EntityVersion.ofClusterTime(noted.get().seconds(), noted.get().increment(), 0);
            } catch (IllegalArgumentException e) {
                read.add(new Change.Malformed(stamp, idOnly(ids.get(i)), "entity " + source.entity() + " id "
                    + EntityKeys.of(ids.get(i)) + ": " + e.getMessage()));
                continue;
            }
            Change change = change(stamp, ids.get(i), contested, EntityOperation.CREATE, version, document, null,
                noted.get().seconds(), noted.get().increment());
            if (tombstones != null && change instanceof Change.EntityChanged changed) {
                change = notBelowItsTombstone(changed, position,
                    recorded.getOrDefault(changed.change().id(), List.of()), idOnly(ids.get(i)));
            }
            read.add(change);
        }
        return read;
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
            return new Change.Malformed(token, "{}", "not an entity change: operation type " + operationType);
        }
        if (id == null) {
            return new Change.Malformed(token, "{}", operationType + " event without a documentKey._id");
        }
        if (operation == EntityOperation.CREATE && document == null) {
            return new Change.Malformed(token, idOnly(id), "insert event without a document");
        }
        if (operation == EntityOperation.UPDATE && document == null && source.beforeImages()) {
            // With images kept, a missing post-image is not "deleted since": it expired or was never written.
            return new Change.Malformed(token, idOnly(id), "entity " + source.entity() + " id " + EntityKeys.of(id)
                + ": the update carries no post-image although the collection keeps them (expired? "
                + "changeStreamPreAndPostImages off?)");
        }
        BsonTimestamp clusterTime = change.getClusterTime();
        Optional<ResumeTokenFields.ClusterTime> time = clusterTime != null
            ? Optional.of(new ResumeTokenFields.ClusterTime(Integer.toUnsignedLong(clusterTime.getTime()),
                Integer.toUnsignedLong(clusterTime.getInc())))
            : ResumeTokenFields.clusterTime(token);
        if (time.isEmpty()) {
            return new Change.Malformed(token, idOnly(id), "the change has no cluster time, so no version");
        }
        OptionalLong index = ResumeTokenFields.transactionIndex(token);
        if (index.isEmpty() && change.getTxnNumber() != null) {
            // Two changes of one transaction share a cluster time; without the index they would share a version.
            return new Change.Malformed(token, idOnly(id), "a change inside a transaction whose resume token does "
                + "not tell its place in the transaction, so its version would not be unique: " + token.value());
        }
        EntityVersion version;
        if (source.versionField() != null) {
            BsonDocument versioned = operation == EntityOperation.DELETE ? change.getFullDocumentBeforeChange() : document;
            if (versioned == null) {
                return new Change.Malformed(token, idOnly(id), "entity " + source.entity() + " id " + EntityKeys.of(id)
                    + ": the " + operation.wireName() + " carries no document to read " + source.versionField()
                    + " from" + (operation == EntityOperation.DELETE ? " (the collection must keep pre-images: "
                    + "changeStreamPreAndPostImages)" : ""));
            }
            try {
                long value = fieldVersion(versioned);
                version = operation == EntityOperation.DELETE ? EntityVersion.ofFieldDelete(value)
                    : EntityVersion.ofField(value);
            } catch (IllegalArgumentException e) {
                return new Change.Malformed(token, idOnly(id), "entity " + source.entity() + " id " + EntityKeys.of(id)
                    + ": " + e.getMessage());
            }
        } else {
            version = EntityVersion.ofClusterTime(time.get().seconds(), time.get().increment(), index.orElse(0) + 1);
        }
        return change(token, id, contested, operation, version, operation == EntityOperation.DELETE ? null : document,
            change.getFullDocumentBeforeChange(), time.get().seconds(), time.get().increment());
    }

    private Change change(ResumeToken token, BsonValue id, Set<String> contested, EntityOperation operation,
                          EntityVersion version, BsonDocument document, BsonDocument before, long seconds,
                          long increment) {
        String key = EntityKeys.of(id);
        if (contested.contains(key)) {
            return new Change.Malformed(token, idOnly(id), "entity " + source.entity() + ": the key '" + key
                + "' of _id " + EntityKeys.canonical(id) + " is also the key of another document's _id in "
                + source.database() + "." + source.collection() + " (a string equal to an ObjectId's hex, or to another "
                + "value's Extended JSON); refused rather than merged: keep the collection's ids of one type",
                Change.Malformed.Cause.KEY_COLLISION);
        }
        String documentJson = document == null ? null : document.toJson(CANONICAL);
        String beforeJson = before == null ? null : before.toJson(CANONICAL);
        // The value, and the headers beside it: the key in the record key, the value, ce_id and ce_subject; the version
        // in the value, ce_id and ce_ferryversion.
        long bytes = ENVELOPE_BYTES + 4 * utf8Length(key) + 3L * version.wire().length() + utf8Length(documentJson)
            + utf8Length(beforeJson);
        if (bytes > source.maxRecordBytes()) {
            return new Change.Malformed(token, idOnly(id), "entity " + source.entity() + " id " + key + ": the "
                + operation.wireName() + " is about " + bytes + " bytes as a record, over the broker's "
                + source.maxRecordBytes() + " (maxRecordBytes); not published", Change.Malformed.Cause.OVERSIZED);
        }
        return new Change.EntityChanged(token, new EntityChange(source.entity(), key, operation, version, documentJson,
            beforeJson, source.database(), source.collection(), seconds, increment));
    }

    /** The keys of {@code ids} that another document's id also has, by one query for all their rivals. */
    private Set<String> contestedKeys(List<BsonValue> ids) {
        List<BsonValue> rivals = new ArrayList<>();
        for (BsonValue id : ids) {
            if (id != null) {
                EntityKeys.rival(id).ifPresent(rivals::add);
            }
        }
        Set<String> contested = new HashSet<>();
        if (rivals.isEmpty()) {
            return contested;
        }
        // $in matches numbers across types (5 finds 5L), whose keys differ: compare keys, not values.
        for (BsonDocument found : collection.find(Filters.in("_id", rivals)).projection(Projections.include("_id"))) {
            contested.add(EntityKeys.of(found.get("_id")));
        }
        return contested;
    }

    /**
     * The version field's value: a non-negative integer (a JavaScript number past int32 included) or a date (its
     * milliseconds).
     *
     * @throws IllegalArgumentException naming the field and what it holds
     */
    private long fieldVersion(BsonDocument document) {
        BsonValue value = document;
        for (String part : source.versionField().split("\\.")) {
            value = value != null && value.isDocument() ? value.asDocument().get(part) : null;
        }
        long version;
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("its version field " + source.versionField() + " is missing");
        } else if (value.isInt32() || value.isInt64()) {
            version = value.asNumber().longValue();
        } else if (value.isDouble() && value.asDouble().getValue() == Math.rint(value.asDouble().getValue())
            && Math.abs(value.asDouble().getValue()) < 0x1p53) {
            version = (long) value.asDouble().getValue();
        } else if (value.isDateTime()) {
            version = value.asDateTime().getValue();
        } else {
            throw new IllegalArgumentException("its version field " + source.versionField() + " holds a "
                + value.getBsonType().name().toLowerCase(java.util.Locale.ROOT) + ", not an integer or a date");
        }
        if (version < 0) {
            throw new IllegalArgumentException("its version field " + source.versionField() + " is negative: " + version);
        }
        return version;
    }

    private static String idOnly(BsonValue id) {
        return new BsonDocument("_id", id).toJson(CANONICAL);
    }

    private static long utf8Length(String text) {
        if (text == null) {
            return 0;
        }
        long bytes = text.length();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                bytes += c >= 0x800 && !Character.isSurrogate(c) ? 2 : 1;
            }
        }
        return bytes;
    }
}
