package dev.ferry.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.function.BiConsumer;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.event.Tombstone;

/**
 * A record as every transport carries it: its headers ({@link FerryHeaders}, in one order) and its value (the event's
 * or the entity change's JSON). A transport adds only what is its own: where the record goes, and the provenance
 * headers at sending. A publisher encodes with its own {@link #encoder()}.
 */
public final class RecordEncoding {

    private RecordEncoding() {
    }

    /**
     * Hands the record's headers to {@code header} and returns its value.
     *
     * @return the JSON value as UTF-8, or {@code null} for a tombstone, which has none (Kafka sends null so compaction
     *         forgets the key; a transport without compaction sends it empty)
     */
    public static byte[] encode(FerryRecord record, BiConsumer<String, String> header) {
        if (record instanceof Event event) {
            FerryHeaders.forEvent(event, header);
            return EventJson.encode(event).getBytes(UTF_8);
        }
        if (record instanceof EntityChange change) {
            FerryHeaders.forEntityChange(change, header);
            return EntityJson.encode(change).getBytes(UTF_8);
        }
        FerryHeaders.forTombstone((Tombstone) record, header);
        return null;
    }

    /** An encoder for one thread's records, one after another: the same bytes, each value written once. */
    public static RecordEncoder encoder() {
        return new RecordEncoder();
    }
}
