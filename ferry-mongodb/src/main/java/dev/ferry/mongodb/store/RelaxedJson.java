package dev.ferry.mongodb.store;

import java.io.Writer;

import org.bson.BsonDocument;
import org.bson.BsonReader;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriter;
import org.bson.json.JsonWriterSettings;

/**
 * BSON to relaxed extended JSON, exactly as {@code BsonDocument.toJson(relaxed settings)} writes it, but into an
 * unsynchronised buffer: {@code toJson} writes character by character into a {@code StringWriter}, whose every
 * append takes a lock, and builds new settings on each call. The relay renders every payload and resume token.
 */
public final class RelaxedJson {

    private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

    private RelaxedJson() {
    }

    public static String of(BsonDocument document) {
        try (BsonReader reader = document.asBsonReader()) {
            return of(reader);
        }
    }

    /** The document {@code reader} is positioned at (its next value, or the whole input), read to its end. */
    public static String of(BsonReader reader) {
        Buffer buffer = new Buffer();
        new JsonWriter(buffer, RELAXED).pipe(reader);
        return buffer.text.toString();
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
