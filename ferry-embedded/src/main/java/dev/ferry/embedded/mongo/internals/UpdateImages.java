package dev.ferry.embedded.mongo.internals;

import java.util.HashMap;
import java.util.Map;

import de.bwaldvogel.mongo.bson.Document;

/**
 * The documents as they were before the current command updated them, handed from the collection (which sees them)
 * to the oplog (which is told only the updated ids) to describe each update. Holds the images of the command running
 * on each lane: a lane is one thread and runs one command at a time ({@link CommandLanes}), so the images are kept per
 * thread, and each command starts by clearing what a failed one may have left on its lane.
 */
final class UpdateImages {

    private final ThreadLocal<Map<String, Map<Object, Document>>> beforeByNamespace =
        ThreadLocal.withInitial(HashMap::new);

    void keep(String namespace, Object id, Document before) {
        beforeByNamespace.get().computeIfAbsent(namespace, ns -> new HashMap<>()).put(id, before);
    }

    /** The image kept for this document, removed from the store; {@code null} if none. */
    Document take(String namespace, Object id) {
        Map<Object, Document> images = beforeByNamespace.get().get(namespace);
        return images == null ? null : images.remove(id);
    }

    void clear() {
        beforeByNamespace.get().clear();
    }
}
