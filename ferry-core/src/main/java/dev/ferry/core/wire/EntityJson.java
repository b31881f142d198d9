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
        StringBuilder json = new StringBuilder(size);
        json.append("{\"entity\":").append(EventJson.quote(change.entity()));
        json.append(",\"id\":").append(EventJson.quote(change.id()));
        json.append(",\"operation\":").append(EventJson.quote(change.operation().wireName()));
        json.append(",\"version\":").append(EventJson.quote(change.version().wire()));
        json.append(",\"document\":").append(change.documentJson() == null ? "null" : change.documentJson());
        if (change.beforeJson() != null) {
            json.append(",\"before\":").append(change.beforeJson());
        }
        json.append(",\"source\":{\"db\":").append(EventJson.quote(change.database()));
        json.append(",\"collection\":").append(EventJson.quote(change.collection())).append('}');
        json.append(",\"clusterTime\":{\"t\":").append(change.clusterTime());
        json.append(",\"i\":").append(change.clusterTimeIncrement()).append("}}");
        return json.toString();
    }
}
