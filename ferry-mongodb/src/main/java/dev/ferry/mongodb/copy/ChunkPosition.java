package dev.ferry.mongodb.copy;

import org.bson.BsonDocument;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * Where a copy by watermarks has got, as its checkpointed position: after the last key copied ({@code after}; null
 * at the start), up to the last key the collection held when the copy began ({@code until}; null until the first
 * chunk notes it). Documents inserted past {@code until} since are published by the stream, so a copy of a collection
 * that grows at its end (ObjectIds) still ends. A position written before the bound existed is {@code after} alone.
 */
record ChunkPosition(BsonDocument after, BsonDocument until) {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();
    private static final String AFTER = "after";
    private static final String UNTIL = "until";

    static ChunkPosition parse(String position) {
        if (position.isEmpty()) {
            return new ChunkPosition(null, null);
        }
        BsonDocument parsed = BsonDocument.parse(position);
        // An entity's order is its _id, so a key document never holds "until".
        return parsed.containsKey(UNTIL) ? new ChunkPosition(parsed.getDocument(AFTER, null), parsed.getDocument(UNTIL))
            : new ChunkPosition(parsed, null);
    }

    ChunkPosition after(BsonDocument key) {
        return new ChunkPosition(key, until);
    }

    /** Canonical Extended JSON, so that the keys' types survive the checkpoint. */
    String toJson() {
        BsonDocument position = new BsonDocument();
        if (after != null) {
            position.append(AFTER, after);
        }
        if (until != null) {
            position.append(UNTIL, until);
        }
        return position.isEmpty() ? "" : position.toJson(CANONICAL);
    }
}
