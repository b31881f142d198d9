package dev.ferry.mongodb.copy;

import java.util.ArrayList;
import java.util.List;

import org.bson.BsonDocument;
import org.bson.BsonNull;
import org.bson.BsonType;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.model.Filters;

/**
 * Filters for reading a collection in the order of some fields, a page after a key (keyset pagination), in MongoDB's
 * sort order: {@code $gt} and {@code $lte} compare within one BSON type only, so the types that sort before or after a
 * value are named too.
 */
final class KeysetFilters {

    /** MongoDB's sort order of the types a key can hold (numbers stand for all numeric types, strings for symbols). */
    private static final List<BsonType> TYPE_ORDER = List.of(BsonType.DOUBLE, BsonType.STRING, BsonType.DOCUMENT,
        BsonType.ARRAY, BsonType.BINARY, BsonType.OBJECT_ID, BsonType.BOOLEAN, BsonType.DATE_TIME, BsonType.TIMESTAMP,
        BsonType.REGULAR_EXPRESSION);

    private KeysetFilters() {
    }

    /**
     * Documents after {@code key} in the order of {@code keys}: (k1 after v1) or (k1 = v1 and k2 after v2) or … A
     * value is after v if it is greater within v's type, or of a type that sorts after v's; after null (a missing
     * field) is anything not null.
     */
    static Bson after(List<String> keys, BsonDocument key) {
        List<Bson> alternatives = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            List<Bson> conditions = new ArrayList<>();
            for (int j = 0; j < i; j++) {
                conditions.add(Filters.eq(keys.get(j), key.get(keys.get(j), BsonNull.VALUE)));
            }
            conditions.add(after(keys.get(i), key.get(keys.get(i), BsonNull.VALUE)));
            alternatives.add(conditions.size() == 1 ? conditions.get(0) : Filters.and(conditions));
        }
        return Filters.or(alternatives);
    }

    /**
     * Documents whose {@code field} sorts at or before {@code value}: those not after it (so also a missing field,
     * null and MinKey, which sort first); everything for a value of a type not ordered here (MaxKey).
     */
    static Bson atMost(String field, BsonValue value) {
        if (!value.isNull() && !TYPE_ORDER.contains(bracket(value.getBsonType()))) {
            return new Document();
        }
        return Filters.nor(after(field, value));
    }

    /** The values of {@code keys} in {@code document} (null where missing), as a key document. */
    static BsonDocument key(List<String> keys, BsonDocument document) {
        BsonDocument key = new BsonDocument();
        for (String path : keys) {
            BsonValue value = document;
            for (String part : path.split("\\.")) {
                value = value != null && value.isDocument() ? value.asDocument().get(part) : null;
            }
            key.append(path, value == null ? BsonNull.VALUE : value);
        }
        return key;
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

    /** Numbers compare as one type, and so do strings and symbols. */
    private static BsonType bracket(BsonType type) {
        return switch (type) {
            case INT32, INT64, DOUBLE, DECIMAL128 -> BsonType.DOUBLE;
            case SYMBOL -> BsonType.STRING;
            default -> type;
        };
    }
}
