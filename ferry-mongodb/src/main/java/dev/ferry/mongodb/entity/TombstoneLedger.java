package dev.ferry.mongodb.entity;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.bson.BsonArray;
import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonValue;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.PushOptions;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;

import dev.ferry.core.event.EntityVersion;

/**
 * The versions of the deletes an entity source with a version field of its own has published, per key: a re-created
 * document must carry a higher version than its tombstone, and only the relay can tell (the insert carries no trace of
 * the delete before it). Each key keeps its last few deletes by stream position, so that a change read again after a
 * failover is judged against the same tombstone as the first time.
 * <p>
 * One document per key in Ferry's database: {@code {_id: "<source>/<key>", last: <position>, tombstones: [{position,
 * version}, …]}}. Positions are the changes' resume tokens' {@code _data}, whose order is the stream's.
 */
final class TombstoneLedger {

    /** Enough to cover the changes a relay has read but not yet checkpointed, many times over. */
    private static final int KEPT_PER_KEY = 16;

    private final MongoCollection<BsonDocument> ledger;
    private final String source;

    TombstoneLedger(MongoCollection<BsonDocument> ledger, String source) {
        this.ledger = ledger;
        this.source = source;
    }

    /** A delete of a key, at its stream position. */
    record Tombstone(String position, EntityVersion version) {
    }

    /** The keys' recorded deletes, oldest first, by one query. */
    Map<String, List<Tombstone>> load(List<String> keys) {
        Map<String, List<Tombstone>> byKey = new HashMap<>();
        if (keys.isEmpty()) {
            return byKey;
        }
        List<String> ids = keys.stream().distinct().map(this::id).toList();
        for (BsonDocument entry : ledger.find(Filters.in("_id", ids))) {
            List<Tombstone> tombstones = new ArrayList<>();
            for (BsonValue item : entry.getArray("tombstones", new BsonArray())) {
                BsonDocument tombstone = item.asDocument();
                tombstones.add(new Tombstone(tombstone.getString("position").getValue(),
                    new EntityVersion(tombstone.getString("version").getValue())));
            }
            byKey.put(entry.getString("_id").getValue().substring(source.length() + 1), tombstones);
        }
        return byKey;
    }

    /** The last delete of the key before {@code position}, among {@code recorded} (oldest first). */
    static Optional<Tombstone> before(List<Tombstone> recorded, String position) {
        Tombstone found = null;
        for (Tombstone tombstone : recorded) {
            if (tombstone.position().compareTo(position) < 0) {
                found = tombstone;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * Records deletes in stream order, each only if it comes after the key's last recorded one (a delete read again is
     * recorded once).
     */
    void record(List<Map.Entry<String, Tombstone>> deletes) {
        List<WriteModel<BsonDocument>> writes = new ArrayList<>();
        for (Map.Entry<String, Tombstone> delete : deletes) {
            Tombstone tombstone = delete.getValue();
            writes.add(new UpdateOneModel<>(
                Filters.and(Filters.eq("_id", id(delete.getKey())), Filters.or(Filters.exists("last", false),
                    Filters.lt("last", tombstone.position()))),
                Updates.combine(Updates.set("last", tombstone.position()),
                    Updates.pushEach("tombstones", List.of(new BsonDocument("position",
                        new BsonString(tombstone.position())).append("version",
                        new BsonString(tombstone.version().wire()))), new PushOptions().slice(-KEPT_PER_KEY))),
                new UpdateOptions().upsert(true)));
        }
        if (writes.isEmpty()) {
            return;
        }
        try {
            ledger.bulkWrite(writes, new BulkWriteOptions().ordered(true));
        } catch (MongoBulkWriteException e) {
            // An upsert whose filter missed an existing key (recorded already: a change read again) collides on _id.
            boolean recordedAlready = e.getWriteConcernError() == null && !e.getWriteErrors().isEmpty()
                && e.getWriteErrors().stream()
                .allMatch(error -> ErrorCategory.fromErrorCode(error.getCode()) == ErrorCategory.DUPLICATE_KEY);
            if (!recordedAlready) {
                throw e;
            }
            int failedAt = e.getWriteErrors().get(0).getIndex();
            record(deletes.subList(failedAt + 1, deletes.size())); // ordered: the rest was not tried
        }
    }

    private String id(String key) {
        return source + "/" + key;
    }
}
