package dev.ferry.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Reads files written before sources existed: {@code mongodb.eventsCollection: X} means
 * {@code sources: [{kind: commits, collection: X}]}. A file that says both is refused, saying what to change.
 */
final class LegacyShape {

    static final String EVENTS_COLLECTION = "eventsCollection";

    private LegacyShape() {
    }

    static void rewrite(ObjectNode root) {
        if (!(root.get("mongodb") instanceof ObjectNode mongodb) || !mongodb.has(EVENTS_COLLECTION)) {
            return;
        }
        JsonNode collection = mongodb.remove(EVENTS_COLLECTION);
        if (root.hasNonNull("sources")) {
            throw new ConfigError("mongodb." + EVENTS_COLLECTION + ": both it and sources are set; move it into sources "
                + "as {kind: commits, collection: " + collection.asText() + "}");
        }
        if (!collection.isNull() && !collection.asText().isBlank()) {
            root.putArray("sources").addObject().put("kind", SourceConfig.Commits.KIND).set("collection", collection);
        }
    }
}
