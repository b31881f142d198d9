package dev.ferry.mongodb.entity;

import java.util.Optional;
import java.util.regex.Pattern;

import org.bson.BsonDocument;
import org.bson.BsonObjectId;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.json.JsonMode;
import org.bson.json.JsonParseException;
import org.bson.json.JsonWriterSettings;
import org.bson.types.ObjectId;

/**
 * An entity's key: its {@code _id} as a stable string. An ObjectId is its 24 lowercase hex digits, a string is
 * itself, anything else is its canonical Extended JSON as the Java driver writes it, a space after each colon
 * ({@code 42} is {@code {"$numberInt": "42"}}, a document is {@code {"a": {"$numberInt": "1"}}}; the rules and
 * test vectors: {@code contracts/keys.md}). Two different ids can have one key — a string equal to an ObjectId's hex, or to
 * another value's Extended JSON — so each id has at most one <em>rival</em>: the other id with the same key.
 */
public final class EntityKeys {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    private static final Pattern OBJECT_ID_HEX = Pattern.compile("[0-9a-f]{24}");
    private static final String WRAPPER = "v";

    private EntityKeys() {
    }

    public static String of(BsonValue id) {
        if (id.isObjectId()) {
            return id.asObjectId().getValue().toHexString();
        } else if (id.isString()) {
            return id.asString().getValue();
        }
        return canonical(id);
    }

    /** The other id with the same key as {@code id}, if there can be one. */
    public static Optional<BsonValue> rival(BsonValue id) {
        if (id.isObjectId()) {
            return Optional.of(new BsonString(id.asObjectId().getValue().toHexString()));
        } else if (!id.isString()) {
            return Optional.of(new BsonString(canonical(id)));
        }
        String text = id.asString().getValue();
        if (OBJECT_ID_HEX.matcher(text).matches()) {
            return Optional.of(new BsonObjectId(new ObjectId(text)));
        }
        try {
            BsonValue parsed = BsonDocument.parse("{\"" + WRAPPER + "\":" + text + "}").get(WRAPPER);
            // Only a value whose key is exactly this text is a rival ("5" reads as 5, whose key is {"$numberInt": "5"}).
            if (parsed != null && !parsed.isString() && !parsed.isObjectId() && canonical(parsed).equals(text)) {
                return Optional.of(parsed);
            }
        } catch (JsonParseException | IllegalArgumentException | org.bson.BsonInvalidOperationException e) {
            // not Extended JSON: no other id has this key
        }
        return Optional.empty();
    }

    /** Canonical Extended JSON of one value (the writer takes documents only: wrap, then unwrap). */
    static String canonical(BsonValue value) {
        String wrapped = new BsonDocument(WRAPPER, value).toJson(CANONICAL);
        int start = wrapped.indexOf(':') + 1;
        return wrapped.substring(start, wrapped.lastIndexOf('}')).strip();
    }
}
