package dev.ferry.postgres.replica;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Reads one field of a document in canonical Extended JSON as the text PostgreSQL casts into a mapped column:
 * <ul>
 *   <li>a string, number or boolean: its JSON text ({@code "Ada"} → {@code Ada}, {@code 42}, {@code true});</li>
 *   <li>a number in a type wrapper — {@code {"$numberInt": "7"}}, {@code $numberLong}, {@code $numberDouble}
 *   (also {@code "NaN"}, {@code "Infinity"}), {@code $numberDecimal}: the number's text, exactly as written;</li>
 *   <li>{@code {"$oid": "…"}}: the 24 hex digits; {@code {"$symbol": "…"}}: the string;</li>
 *   <li>{@code {"$date": {"$numberLong": "…"}}} (milliseconds since the epoch): the instant as ISO-8601 in UTC
 *   ({@code 2026-12-02T10:15:30.123Z}), which {@code timestamptz} reads; a relaxed {@code {"$date": "…"}}: its
 *   string;</li>
 *   <li>any other object or array (a nested document, {@code $binary}, {@code $timestamp}, …): its Extended JSON text,
 *   for a {@code jsonb} or {@code text} column;</li>
 *   <li>{@code null} or a missing field (or a path through something that is not an object or array): SQL NULL.</li>
 * </ul>
 */
final class DocumentFields {

    private static final JsonFactory JSON = new JsonFactory();
    private static final Set<String> NUMBER_WRAPPERS = Set.of("$numberInt", "$numberLong", "$numberDouble",
        "$numberDecimal", "$oid", "$symbol");

    private DocumentFields() {
    }

    /** The field's value as text, or null. */
    static String text(String documentJson, List<String> path) {
        try (JsonParser parser = JSON.createParser(documentJson)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            for (int depth = 0; depth < path.size(); depth++) {
                if (!enter(parser, path.get(depth))) {
                    return null;
                }
            }
            return valueText(parser, documentJson);
        } catch (IOException e) {
            throw new IllegalArgumentException("the document is not JSON: " + e.getMessage(), e);
        }
    }

    /** From an object or array's start token, moves onto the value of {@code segment}; false if it has none. */
    private static boolean enter(JsonParser parser, String segment) throws IOException {
        if (parser.currentToken() == JsonToken.START_OBJECT) {
            for (JsonToken token = parser.nextToken(); token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
                String name = parser.currentName();
                parser.nextToken();
                if (name.equals(segment)) {
                    return true;
                }
                parser.skipChildren();
            }
            return false;
        }
        if (parser.currentToken() == JsonToken.START_ARRAY && segment.chars().allMatch(Character::isDigit)) {
            int index = Integer.parseInt(segment);
            int at = 0;
            for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
                if (at++ == index) {
                    return true;
                }
                parser.skipChildren();
            }
        }
        return false;
    }

    private static String valueText(JsonParser parser, String json) throws IOException {
        JsonToken token = parser.currentToken();
        return switch (token) {
            case VALUE_STRING, VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> parser.getText();
            case VALUE_TRUE -> "true";
            case VALUE_FALSE -> "false";
            case START_OBJECT, START_ARRAY -> {
                int start = (int) parser.currentTokenLocation().getCharOffset();
                parser.skipChildren();
                String raw = json.substring(start, (int) parser.currentLocation().getCharOffset());
                yield token == JsonToken.START_OBJECT ? unwrapped(raw) : raw;
            }
            default -> null;
        };
    }

    /** A type wrapper's value, or the object's own text. */
    private static String unwrapped(String object) throws IOException {
        try (JsonParser parser = JSON.createParser(object)) {
            parser.nextToken();
            if (parser.nextToken() != JsonToken.FIELD_NAME) {
                return object;
            }
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            String text = null;
            if (NUMBER_WRAPPERS.contains(name) && value == JsonToken.VALUE_STRING) {
                text = parser.getText();
            } else if (name.equals("$date") && value == JsonToken.VALUE_STRING) {
                text = parser.getText();
            } else if (name.equals("$date") && value == JsonToken.START_OBJECT && parser.nextToken() == JsonToken.FIELD_NAME
                && parser.currentName().equals("$numberLong") && parser.nextToken() == JsonToken.VALUE_STRING) {
                text = Instant.ofEpochMilli(Long.parseLong(parser.getText())).toString();
                parser.nextToken(); // the inner object's end
            }
            // only a lone wrapper is unwrapped: {"$oid": …, "x": 1} is a document of its own
            return text != null && parser.nextToken() == JsonToken.END_OBJECT ? text : object;
        }
    }
}
