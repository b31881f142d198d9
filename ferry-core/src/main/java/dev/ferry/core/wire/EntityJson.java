package dev.ferry.core.wire;

import dev.ferry.core.event.EntityChange;

/**
 * The value of an entity change's record, one JSON object a consumer in any language reads with nothing else:
 * <pre>{"entity":"patient","id":"6650f1…","operation":"update","version":"1764670000.0000000005.0000000001",
 *  "document":{"_id":{"$oid":"6650f1…"},"name":"Ada","visits":{"$numberLong":"3"}},
 *  "source":{"db":"clinic","collection":"patients"},"clusterTime":{"t":1764670000,"i":5}}</pre>
 * {@code document} is canonical Extended JSON (types survive), {@code null} for a delete and for an update whose
 * document was deleted before the relay looked it up; {@code before} (the pre-image) appears only where the
 * collection keeps pre-images. A delete's record is followed by a tombstone: the same key with no value.
 */
public final class EntityJson {

    private EntityJson() {
    }

    public static String encode(EntityChange change) {
        int size = 256 + (change.documentJson() == null ? 0 : change.documentJson().length())
            + (change.beforeJson() == null ? 0 : change.beforeJson().length());
        JsonBuffer json = new JsonBuffer(size);
        write(change, json);
        return json.text();
    }

    /** Appends the change's JSON to {@code json}. */
    public static void write(EntityChange change, JsonBuffer json) {
        json.ascii("{\"entity\":").string(change.entity());
        json.ascii(",\"id\":").string(change.id());
        json.ascii(",\"operation\":").string(change.operation().wireName());
        json.ascii(",\"version\":").string(change.version().wire());
        json.ascii(",\"document\":");
        if (change.documentJson() == null) {
            json.ascii("null");
        } else {
            json.raw(change.documentJson());
        }
        if (change.beforeJson() != null) {
            json.ascii(",\"before\":").raw(change.beforeJson());
        }
        json.ascii(",\"source\":{\"db\":").string(change.database());
        json.ascii(",\"collection\":").string(change.collection()).ascii('}');
        json.ascii(",\"clusterTime\":{\"t\":").number(change.clusterTime());
        json.ascii(",\"i\":").number(change.clusterTimeIncrement()).ascii("}}");
    }
}
