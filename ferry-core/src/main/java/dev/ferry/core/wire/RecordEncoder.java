package dev.ferry.core.wire;

import java.util.function.BiConsumer;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.event.Tombstone;

/**
 * Encodes records one after another as {@link RecordEncoding} does, byte for byte, but each value once into one reused
 * buffer, and the headers' per-type values kept while the type repeats: what a publisher uses on the relay's hot path.
 * Not thread-safe: one encoder per publishing thread (a publisher is used by one relay thread at a time).
 */
public final class RecordEncoder {

    private final JsonBuffer json = new JsonBuffer(2048);
    private final JsonBuffer time = new JsonBuffer(32);
    private String sourceOf;
    private String source;

    /**
     * Hands the record's headers to {@code header} and returns its value.
     *
     * @return the JSON value as UTF-8, or {@code null} for a tombstone, which has none
     */
    public byte[] encode(FerryRecord record, BiConsumer<String, String> header) {
        if (record instanceof Event event) {
            IsoInstant.write(event.timestamp(), time.reset());
            FerryHeaders.forEvent(event, source(event.aggregateType()), time.text(), header);
            EventJson.write(event, json.reset());
            return json.toByteArray();
        }
        if (record instanceof EntityChange change) {
            FerryHeaders.forEntityChange(change, header);
            EntityJson.write(change, json.reset());
            return json.toByteArray();
        }
        FerryHeaders.forTombstone((Tombstone) record, header);
        return null;
    }

    private String source(String type) {
        if (!type.equals(sourceOf)) {
            source = FerryHeaders.source(type);
            sourceOf = type;
        }
        return source;
    }
}
