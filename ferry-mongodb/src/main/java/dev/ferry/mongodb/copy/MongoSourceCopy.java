package dev.ferry.mongodb.copy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bson.BsonDocument;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

import com.mongodb.ReadConcern;
import com.mongodb.ReadPreference;
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

    /** MongoDB's sort order of the types a key can hold (numbers stand for all numeric types). */
    private static final List<BsonType> TYPE_ORDER = List.of(BsonType.DOUBLE, BsonType.STRING, BsonType.DOCUMENT,
        BsonType.ARRAY, BsonType.BINARY, BsonType.OBJECT_ID, BsonType.BOOLEAN, BsonType.DATE_TIME, BsonType.TIMESTAMP,
        BsonType.REGULAR_EXPRESSION);

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
        if (!source.uniqueOrder()) {
            keys.add("_id"); // the tie-breaker; a unique order needs none, and its index then serves the sort
        }
        // From the primary, majority-committed: a secondary could lag behind the noted stream position.
        MongoCollection<BsonDocument> collection = client.getDatabase(source.watched().database())
            .getCollection(source.watched().collection(), BsonDocument.class)
            .withReadPreference(ReadPreference.primary()).withReadConcern(ReadConcern.MAJORITY);
        Bson after = position.isEmpty() ? new Document() : after(keys, BsonDocument.parse(position));
        List<Change> changes = new ArrayList<>();
        BsonDocument last = null;
        for (BsonDocument document : collection.find(after).sort(Sorts.ascending(keys)).limit(maxChanges)) {
            changes.add(source.watched().read(stamp, document));
            last = document;
        }
        if (last == null) {
            return new CopyBatch(List.of(), position, true);
        }
        return new CopyBatch(changes, key(keys, last).toJson(CANONICAL), changes.size() < maxChanges);
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
                conditions.add(Filters.eq(keys.get(j), key.get(keys.get(j))));
            }
            conditions.add(after(keys.get(i), key.get(keys.get(i))));
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
