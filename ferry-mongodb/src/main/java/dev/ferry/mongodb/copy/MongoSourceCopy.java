package dev.ferry.mongodb.copy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bson.BsonDocument;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Sorts;

import dev.ferry.core.relay.Change;
import dev.ferry.core.relay.ResumeToken;
import dev.ferry.core.relay.SourceCopy;

/**
 * Copies collections in key order with range queries: each batch reads the documents after the last one copied
 * (a keyset page, not an offset, so a batch costs the same at the end of a large collection as at its start). The
 * position is that document's key, as canonical Extended JSON, so types survive the checkpoint.
 */
public final class MongoSourceCopy implements SourceCopy {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    private final MongoClient client;
    private final Map<String, CopiedCollection> sources = new LinkedHashMap<>();

    public MongoSourceCopy(MongoClient client, List<CopiedCollection> sources) {
        this.client = client;
        sources.forEach(source -> this.sources.put(source.name(), source));
    }

    @Override
    public List<String> sources() {
        return List.copyOf(sources.keySet());
    }

    @Override
    public CopyBatch next(String name, String position, ResumeToken stamp, int maxChanges) {
        CopiedCollection source = sources.get(name);
        if (source == null) {
            throw new IllegalArgumentException("no source named " + name + " is copied; copied: " + sources.keySet());
        }
        List<String> keys = new ArrayList<>(source.orderBy());
        keys.add("_id");
        MongoCollection<BsonDocument> collection = client.getDatabase(source.watched().database())
            .getCollection(source.watched().collection(), BsonDocument.class);
        Bson after = position.isEmpty() ? new Document() : after(keys, BsonDocument.parse(position));
        List<Change> changes = new ArrayList<>();
        BsonDocument last = null;
        for (BsonDocument document : collection.find(after).sort(Sorts.ascending(keys)).limit(maxChanges)) {
            changes.add(source.watched().reader().read(stamp, document));
            last = document;
        }
        if (last == null) {
            return new CopyBatch(List.of(), position, true);
        }
        return new CopyBatch(changes, key(keys, last).toJson(CANONICAL), changes.size() < maxChanges);
    }

    /** Documents after {@code key} in the order of {@code keys}: (k1 > v1) or (k1 = v1 and k2 > v2) or … */
    private static Bson after(List<String> keys, BsonDocument key) {
        List<Bson> alternatives = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            List<Bson> conditions = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                conditions.add(Filters.eq(keys.get(j), value(key, keys.get(j))));
            }
            conditions.add(Filters.gt(keys.get(i), value(key, keys.get(i))));
            alternatives.add(conditions.size() == 1 ? conditions.get(0) : Filters.and(conditions));
        }
        return Filters.or(alternatives);
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

    private static BsonValue value(BsonDocument key, String path) {
        return key.get(path);
    }
}
