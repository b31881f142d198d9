package dev.ferry.mongodb.store;

import java.io.Writer;
import java.util.Map;

import org.bson.BsonBinaryReader;
import org.bson.BsonDocument;
import org.bson.BsonReader;
import org.bson.BsonReaderMark;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.bson.io.ByteBufferBsonInput;
import org.bson.json.Converter;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriter;
import org.bson.json.JsonWriterSettings;

/**
 * BSON to relaxed extended JSON, exactly as {@code BsonDocument.toJson(relaxed settings)} writes it, but into an
 * unsynchronised buffer: {@code toJson} writes character by character into a {@code StringWriter}, whose every
 * append takes a lock, and builds new settings on each call. The relay renders every payload and resume token.
 */
public final class RelaxedJson {

    /**
     * Strings of printable ASCII without quote or backslash, most strings in events, need no escaping and are written
     * as they are; any other string goes through the driver's escaping, so the output never differs from it.
     */
    static final Converter<String> STRINGS = (value, writer) -> {
        if (plainAscii(value)) {
            writer.writeRaw('"' + value + '"');
        } else {
            writer.writeString(value);
        }
    };

    private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED)
        .stringConverter(STRINGS).build();

    private RelaxedJson() {
    }

    public static String of(BsonDocument document) {
        String plain = plainStrings(document);
        if (plain != null) {
            return plain;
        }
        try (BsonReader reader = readerOf(document)) {
            return of(reader);
        }
    }

    /**
     * A reader over {@code document}: over its bytes if it is raw ({@code RawBsonDocument} does not override
     * {@code asBsonReader}, which would first decode the whole document into a tree).
     */
    public static BsonReader readerOf(BsonDocument document) {
        return document instanceof RawBsonDocument raw ? new BsonBinaryReader(new ByteBufferBsonInput(raw.getByteBuffer()))
            : document.asBsonReader();
    }

    /**
     * The document {@code reader} is positioned at (its next value, or the whole input), read to its end. A document of
     * plain values is written directly ({@link PlainDocuments}); any other is read again by the driver's writer.
     */
    public static String of(BsonReader reader) {
        BsonReaderMark start = reader.getMark();
        String plain = PlainDocuments.of(reader);
        if (plain != null) {
            return plain;
        }
        start.reset();
        return render(reader, RELAXED);
    }

    /** The document {@code reader} is positioned at, written with {@code settings} into an unsynchronised buffer. */
    static String render(BsonReader reader, JsonWriterSettings settings) {
        Buffer buffer = new Buffer();
        new JsonWriter(buffer, settings).pipe(reader);
        return buffer.text.toString();
    }

    /**
     * A decoded document of plain ASCII strings only — a resume token, {@code {"_data": "8266…"}}, read for every
     * change — written directly, as the writer writes it; null for any other document.
     */
    private static String plainStrings(BsonDocument document) {
        if (document instanceof RawBsonDocument || document.size() > 4) {
            return null;
        }
        StringBuilder json = new StringBuilder(128).append('{');
        for (Map.Entry<String, BsonValue> field : document.entrySet()) {
            BsonValue value = field.getValue();
            if (!value.isString() || !plainAscii(field.getKey()) || !plainAscii(value.asString().getValue())) {
                return null;
            }
            if (json.length() > 1) {
                json.append(", ");
            }
            json.append('"').append(field.getKey()).append("\": \"").append(value.asString().getValue()).append('"');
        }
        return json.append('}').toString();
    }

    private static boolean plainAscii(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /** A {@link Writer} over a {@link StringBuilder}: no locking, no copying on the way out but the final one. */
    private static final class Buffer extends Writer {
        private final StringBuilder text = new StringBuilder(256);

        @Override
        public void write(int c) {
            text.append((char) c);
        }

        @Override
        public void write(char[] chars, int offset, int length) {
            text.append(chars, offset, length);
        }

        @Override
        public void write(String string, int offset, int length) {
            text.append(string, offset, offset + length);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
