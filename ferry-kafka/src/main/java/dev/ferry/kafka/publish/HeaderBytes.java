package dev.ferry.kafka.publish;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.util.HashMap;
import java.util.Map;
import java.util.function.BiConsumer;

import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * Adds a record's headers to Kafka's {@link RecordHeaders}, as UTF-8, one sink reused for every record: a header whose
 * value is the very string it had on the record before (a constant such as {@code ce_specversion}, the type's source,
 * the instance id) reuses that value's bytes, which Kafka only reads. Counts the bytes added, for the record's size.
 * One thread at a time, as its publisher.
 */
final class HeaderBytes implements BiConsumer<String, String> {

    private final Map<String, Last> last = new HashMap<>();
    private RecordHeaders headers;
    private int size;

    /** Where the next headers go; the size counts from here. */
    void into(RecordHeaders target) {
        headers = target;
        size = 0;
    }

    /** The bytes of the names and values added since {@link #into}. */
    int size() {
        return size;
    }

    @Override
    public void accept(String name, String value) {
        Last previous = last.get(name);
        byte[] bytes;
        if (previous != null && previous.value == value) {
            bytes = previous.bytes;
        } else {
            bytes = value.getBytes(UTF_8);
            if (previous == null) {
                last.put(name, new Last(value, bytes));
            } else {
                previous.value = value;
                previous.bytes = bytes;
            }
        }
        headers.add(name, bytes);
        size += name.length() + bytes.length;
    }

    /** A header's last value and its bytes. */
    private static final class Last {
        String value;
        byte[] bytes;

        Last(String value, byte[] bytes) {
            this.value = value;
            this.bytes = bytes;
        }
    }
}
