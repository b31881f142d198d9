package dev.ferry.mongodb.entity;

import java.util.Locale;

import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * A version field of the users' own (sharded clusters): a dotted path to a non-negative integer (a JavaScript number
 * past int32 included) or a date (its milliseconds).
 */
record VersionField(String path) {

    /** @throws IllegalArgumentException naming the field and what it holds */
    long valueIn(BsonDocument document) {
        BsonValue value = document;
        for (String part : path.split("\\.")) {
            value = value != null && value.isDocument() ? value.asDocument().get(part) : null;
        }
        long version;
        if (value == null || value.isNull()) {
            throw new IllegalArgumentException("its version field " + path + " is missing");
        } else if (value.isInt32() || value.isInt64()) {
            version = value.asNumber().longValue();
        } else if (value.isDouble() && value.asDouble().getValue() == Math.rint(value.asDouble().getValue())
            && Math.abs(value.asDouble().getValue()) < 0x1p53) {
            version = (long) value.asDouble().getValue();
        } else if (value.isDateTime()) {
            version = value.asDateTime().getValue();
        } else {
            throw new IllegalArgumentException("its version field " + path + " holds a "
                + value.getBsonType().name().toLowerCase(Locale.ROOT) + ", not an integer or a date");
        }
        if (version < 0) {
            throw new IllegalArgumentException("its version field " + path + " is negative: " + version);
        }
        return version;
    }
}
