package dev.ferry.mongodb.entity;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.bson.BsonDocument;
import org.bson.BsonValue;

import com.mongodb.ReadPreference;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;

/**
 * Which keys of a batch another document's id also has (see {@link EntityKeys#rival}): such ids are refused, never
 * merged. One query per batch, for all the batch's rivals, from the primary (a secondary may lag).
 */
final class RivalKeys {

    private final MongoCollection<BsonDocument> collection;

    RivalKeys(MongoCollection<BsonDocument> collection) {
        this.collection = collection.withReadPreference(ReadPreference.primary());
    }

    /** The keys of {@code ids} (nulls skipped) that another document's id also has. */
    Set<String> contested(List<BsonValue> ids) {
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
}
