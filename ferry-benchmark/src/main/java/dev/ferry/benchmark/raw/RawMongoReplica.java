package dev.ferry.benchmark.raw;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.bson.BsonDateTime;
import org.bson.BsonDocument;
import org.bson.BsonString;

import com.mongodb.MongoBulkWriteException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.ReplaceOptions;

/**
 * A MongoDB replica written as a plain client would: per poll one unordered bulk write of version-conditional
 * replace-upserts ({@code {_id, _ferry.version < new}}), a delete as a tombstone, no read first. A newer version
 * already there makes the upsert collide on {@code _id}: that duplicate-key error is a skip, not a failure. The
 * replica documents have Ferry's shape (the source document plus {@code _ferry.version}).
 */
final class RawMongoReplica implements RawReplica {

    private static final int DUPLICATE_KEY = 11000;

    private final MongoCollection<BsonDocument> collection;

    RawMongoReplica(MongoCollection<BsonDocument> collection) {
        this.collection = collection;
    }

    @Override
    public void write(Collection<RawChange> latest) {
        List<ReplaceOneModel<BsonDocument>> models = new ArrayList<>(latest.size());
        for (RawChange change : latest) {
            if (change.document() == null && !change.deleted()) {
                continue; // an update whose document was deleted since: its delete follows
            }
            BsonDocument replacement = new BsonDocument();
            BsonDocument ferry = new BsonDocument("version", new BsonString(change.version()));
            if (change.deleted()) {
                replacement.append("_id", change.id());
                ferry.append("deletedAt", new BsonDateTime(System.currentTimeMillis()));
            } else {
                replacement.putAll(change.document());
            }
            replacement.append("_ferry", ferry);
            models.add(new ReplaceOneModel<>(Filters.and(Filters.eq("_id", change.id()),
                Filters.lt("_ferry.version", change.version())), replacement, new ReplaceOptions().upsert(true)));
        }
        if (models.isEmpty()) {
            return;
        }
        try {
            collection.bulkWrite(models, new BulkWriteOptions().ordered(false));
        } catch (MongoBulkWriteException e) {
            for (BulkWriteError error : e.getWriteErrors()) {
                if (error.getCode() != DUPLICATE_KEY) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void close() {
        collection.drop();
    }
}
