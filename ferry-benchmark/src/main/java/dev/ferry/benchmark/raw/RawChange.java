package dev.ferry.benchmark.raw;

import java.nio.ByteBuffer;

import org.bson.BsonDocument;
import org.bson.BsonString;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.codecs.BsonDocumentCodec;

/**
 * One source change as the raw replication pipeline carries it through the broker: an envelope in BSON ({@code _id},
 * {@code v} the version, {@code doc} the document after the change; no {@code doc}: deleted, or an update whose
 * document was deleted since). The version is the change's cluster time, which orders one id's changes as Ferry's does.
 *
 * @param key      the broker key: the id as a string
 * @param document the document after the change; null for a delete (or an update that found no document)
 * @param deleted  a delete: the replica keeps a tombstone
 */
record RawChange(String key, BsonValue id, String version, BsonDocument document, boolean deleted) {

    private static final BsonDocumentCodec CODEC = new BsonDocumentCodec();

    /** A version that sorts as the cluster time does: seconds and increment, zero-padded. */
    static String version(BsonTimestamp clusterTime) {
        String seconds = Long.toString(Integer.toUnsignedLong(clusterTime.getTime()));
        String increment = Long.toString(Integer.toUnsignedLong(clusterTime.getInc()));
        return "0".repeat(10 - seconds.length()) + seconds + "." + "0".repeat(10 - increment.length()) + increment;
    }

    byte[] encode() {
        BsonDocument envelope = new BsonDocument("_id", id).append("v", new BsonString(version));
        if (document != null) {
            envelope.append("doc", document);
        }
        if (deleted) {
            envelope.append("deleted", org.bson.BsonBoolean.TRUE);
        }
        ByteBuffer buffer = new RawBsonDocument(envelope, CODEC).getByteBuffer().asNIO();
        byte[] bytes = new byte[buffer.remaining()];
        buffer.get(bytes);
        return bytes;
    }

    /** The broker key of an id: a string id itself, any other its Extended JSON. */
    static String key(BsonValue id) {
        return id.isString() ? id.asString().getValue() : new BsonDocument("_id", id).toJson();
    }

    static RawChange decode(byte[] value) {
        RawBsonDocument envelope = new RawBsonDocument(value);
        BsonValue id = envelope.get("_id");
        return new RawChange(key(id), id, envelope.getString("v").getValue(),
            envelope.containsKey("doc") ? envelope.getDocument("doc") : null, envelope.containsKey("deleted"));
    }
}
