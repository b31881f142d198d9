package dev.ferry.mongodb.replica;

import java.util.List;
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
 * Between a change's key (an ObjectId as its hex, a string as it is, anything else as canonical Extended JSON) and the
 * {@code _id} of its replica document. A change with a document carries its {@code _id} exactly; a delete has only
 * the key, which is read back as that rule wrote it. A key of 24 hex digits may be an ObjectId or a string that looks
 * like one: both are looked up, and the one the replica holds wins (an ObjectId if it holds neither).
 */
final class ReplicaIds {

    private static final Pattern OBJECT_ID_HEX = Pattern.compile("[0-9a-f]{24}");
    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    private ReplicaIds() {
    }

    /** The {@code _id}s a key can stand for, the likeliest first. */
    static List<BsonValue> candidates(String key) {
        if (OBJECT_ID_HEX.matcher(key).matches()) {
            return List.of(new BsonObjectId(new ObjectId(key)), new BsonString(key));
        }
        if (key.startsWith("{")) {
            try {
                return List.of(BsonDocument.parse("{\"v\": " + key + "}").get("v"), new BsonString(key));
            } catch (JsonParseException | IllegalArgumentException notExtendedJson) {
                // a string id that starts with a brace
            }
        }
        return List.of(new BsonString(key));
    }

    /** The key of an {@code _id}, by the same rule as a change's key. */
    static String key(BsonValue id) {
        if (id.isObjectId()) {
            return id.asObjectId().getValue().toHexString();
        }
        if (id.isString()) {
            return id.asString().getValue();
        }
        String wrapped = new BsonDocument("v", id).toJson(CANONICAL);
        return wrapped.substring(wrapped.indexOf(':') + 1, wrapped.length() - 1).strip();
    }
}
