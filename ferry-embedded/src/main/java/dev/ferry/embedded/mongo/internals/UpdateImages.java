package dev.ferry.embedded.mongo.internals;

import java.util.HashMap;
import java.util.Map;

import de.bwaldvogel.mongo.bson.Document;

/**
 * The documents as they were before the current command updated them, handed from the collection (which sees them)
 * to the oplog (which is told only the updated ids) to describe each update. Holds one command's images: the
 * server runs one command at a time, and each command starts by clearing what a failed one may have left.
 */
final class UpdateImages {

    private final Map<String, Map<Object, Document>> beforeByNamespace = new HashMap<>();

    synchronized void keep(String namespace, Object id, Document before) {
        beforeByNamespace.computeIfAbsent(namespace, ns -> new HashMap<>()).put(id, before);
    }

    /** The image kept for this document, removed from the store; {@code null} if none. */
    synchronized Document take(String namespace, Object id) {
        Map<Object, Document> images = beforeByNamespace.get(namespace);
        return images == null ? null : images.remove(id);
    }

    synchronized void clear() {
        beforeByNamespace.clear();
    }
}
