package dev.ferry.mongodb.readmodel;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.bson.Document;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * A read-model change's JSON as a {@link Document}, exactly as {@link Document#parse} reads it, faster: the driver's
 * JSON reader builds every token in a {@code StringBuilder} and was a large part of a projector's per-event CPU.
 * Plain JSON (objects, arrays, strings, numbers, booleans, null) is read with Jackson's streaming parser, with the
 * driver's number types (an integer is an Integer when it fits, else a Long; anything with a fraction or exponent a
 * Double). Extended JSON ({@code $date}, {@code $oid}, … — any key starting with {@code $}), integers beyond a long,
 * and anything that is not strict JSON go to {@link Document#parse}, which also reports the errors.
 */
final class JsonDocuments {

    private static final JsonFactory JSON = new JsonFactory();
    /** A value only the driver's reader handles. */
    private static final Object UNSUPPORTED = new Object();

    private JsonDocuments() {
    }

    static Document parse(String json) {
        Document plain = plain(json);
        return plain != null ? plain : Document.parse(json);
    }

    /** {@code json} read by Jackson if it is plain strict JSON, else null. */
    static Document plain(String json) {
        try (JsonParser parser = JSON.createParser(json)) {
            if (parser.nextToken() == JsonToken.START_OBJECT) {
                Document document = object(parser);
                if (document != null && parser.nextToken() == null) {
                    return document;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not plain strict JSON: the driver decides
        }
        return null;
    }

    /** The object the parser is in, or null if it holds something only the driver's reader handles. */
    private static Document object(JsonParser parser) throws IOException {
        Document document = new Document();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_OBJECT; token = parser.nextToken()) {
            String name = parser.currentName();
            if (name.startsWith("$")) {
                return null;
            }
            parser.nextToken();
            Object value = value(parser);
            if (value == UNSUPPORTED) {
                return null;
            }
            document.put(name, value);
        }
        return document;
    }

    private static Object value(JsonParser parser) throws IOException {
        return switch (parser.currentToken()) {
            case START_OBJECT -> {
                Document nested = object(parser);
                yield nested == null ? UNSUPPORTED : nested;
            }
            case START_ARRAY -> {
                List<Object> items = new ArrayList<>();
                for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
                    Object item = value(parser);
                    if (item == UNSUPPORTED) {
                        yield UNSUPPORTED;
                    }
                    items.add(item);
                }
                yield items;
            }
            case VALUE_STRING -> parser.getText();
            case VALUE_NUMBER_INT -> switch (parser.getNumberType()) {
                case INT -> parser.getIntValue();
                case LONG -> parser.getLongValue();
                default -> UNSUPPORTED;
            };
            case VALUE_NUMBER_FLOAT -> Double.parseDouble(parser.getText()); // as the driver reads it
            case VALUE_TRUE -> Boolean.TRUE;
            case VALUE_FALSE -> Boolean.FALSE;
            case VALUE_NULL -> null;
            default -> UNSUPPORTED;
        };
    }
}
