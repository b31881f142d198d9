package dev.ferry.mongodb.store;

import org.bson.BsonReader;
import org.bson.BsonType;

/**
 * Relaxed extended JSON of the documents most payloads are — strings of printable ASCII, 32- and 64-bit integers,
 * booleans, nulls, nested documents and arrays — written straight from the reader, character for character as the
 * driver's writer writes them ({@code {"a": 1, "b": [true, null]}}), without its writer's per-document settings,
 * contexts and converters. Any other value (a double, a date, an ObjectId, a string to escape or beyond ASCII) makes
 * it give up, and the caller renders the document with the driver's writer: the output never differs from it.
 */
final class PlainDocuments {

    private PlainDocuments() {
    }

    /**
     * The document {@code reader} is positioned at, read to its end, as relaxed JSON; or null, with the reader anywhere
     * inside the document, if it holds a value of another kind.
     */
    static String of(BsonReader reader) {
        StringBuilder json = new StringBuilder(256);
        return document(reader, json) ? json.toString() : null;
    }

    private static boolean document(BsonReader reader, StringBuilder json) {
        reader.readStartDocument();
        json.append('{');
        boolean first = true;
        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
            String name = reader.readName();
            if (!plain(name)) {
                return false;
            }
            if (!first) {
                json.append(", ");
            }
            first = false;
            json.append('"').append(name).append("\": ");
            if (!value(reader, json)) {
                return false;
            }
        }
        reader.readEndDocument();
        json.append('}');
        return true;
    }

    private static boolean array(BsonReader reader, StringBuilder json) {
        reader.readStartArray();
        json.append('[');
        boolean first = true;
        while (reader.readBsonType() != BsonType.END_OF_DOCUMENT) {
            if (!first) {
                json.append(", ");
            }
            first = false;
            if (!value(reader, json)) {
                return false;
            }
        }
        reader.readEndArray();
        json.append(']');
        return true;
    }

    private static boolean value(BsonReader reader, StringBuilder json) {
        switch (reader.getCurrentBsonType()) {
            case STRING -> {
                String text = reader.readString();
                if (!plain(text)) {
                    return false;
                }
                json.append('"').append(text).append('"');
            }
            case INT32 -> json.append(reader.readInt32());
            case INT64 -> json.append(reader.readInt64());
            case BOOLEAN -> json.append(reader.readBoolean());
            case NULL -> {
                reader.readNull();
                json.append("null");
            }
            case DOCUMENT -> {
                return document(reader, json);
            }
            case ARRAY -> {
                return array(reader, json);
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    /** Printable ASCII without a quote or backslash: written as it is. */
    private static boolean plain(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }
}
