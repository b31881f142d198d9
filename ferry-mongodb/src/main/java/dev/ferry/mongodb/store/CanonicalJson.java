package dev.ferry.mongodb.store;

import org.bson.BsonDocument;
import org.bson.BsonReader;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * BSON to canonical Extended JSON, exactly as {@code BsonDocument.toJson(canonical settings)} writes it, the way
 * {@link RelaxedJson} writes relaxed JSON: into an unsynchronised buffer, plain strings as they are. An entity change
 * carries its document in canonical JSON; rendered by {@code toJson}, a 10 KB document cost the relay ~340 µs, two
 * thirds of it locking a {@code StringWriter} once per character.
 */
public final class CanonicalJson {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED)
        .stringConverter(RelaxedJson.STRINGS).build();

    private CanonicalJson() {
    }

    public static String of(BsonDocument document) {
        try (BsonReader reader = RelaxedJson.readerOf(document)) {
            return RelaxedJson.render(reader, CANONICAL);
        }
    }
}
