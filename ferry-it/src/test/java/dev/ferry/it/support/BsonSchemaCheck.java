package dev.ferry.it.support;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

import org.bson.BsonDocument;
import org.bson.BsonValue;

/**
 * Evaluates a MongoDB {@code $jsonSchema} against a document, for the keywords Ferry's commit contract uses
 * ({@code bsonType}, {@code required}, {@code properties}, {@code items}, {@code minItems}, {@code minimum},
 * {@code minLength}, {@code maxLength}, {@code pattern}; lengths in code points, as JSON Schema counts them). The
 * embedded MongoDB ignores collection validators; against a real server the contract tests let the server's own
 * validator judge as well.
 */
public final class BsonSchemaCheck {

    private static final Map<String, String> BSON_TYPES = Map.of("object", "DOCUMENT", "array", "ARRAY", "string", "STRING",
        "int", "INT32", "long", "INT64", "date", "DATE_TIME", "null", "NULL", "double", "DOUBLE", "bool", "BOOLEAN",
        "objectId", "OBJECT_ID");

    private BsonSchemaCheck() {
    }

    /** What in {@code document} violates {@code schema} (the value of {@code $jsonSchema}); empty if nothing. */
    public static List<String> violations(BsonDocument schema, BsonValue document) {
        List<String> found = new ArrayList<>();
        check(schema, document, "$", found);
        return found;
    }

    private static void check(BsonDocument schema, BsonValue value, String path, List<String> found) {
        if (schema.containsKey("bsonType") && !typeMatches(schema.get("bsonType"), value)) {
            BsonValue expected = schema.get("bsonType");
            found.add(path + ": expected bsonType " + (expected.isArray() ? expected.asArray().getValues().stream()
                .map(type -> type.asString().getValue()).toList() : expected.asString().getValue()) + ", got "
                + value.getBsonType().name().toLowerCase(Locale.ROOT));
            return;
        }
        if (value.isDocument()) {
            BsonDocument document = value.asDocument();
            if (schema.containsKey("required")) {
                for (BsonValue name : schema.getArray("required")) {
                    if (!document.containsKey(name.asString().getValue())) {
                        found.add(path + "." + name.asString().getValue() + ": required");
                    }
                }
            }
            if (schema.containsKey("properties")) {
                schema.getDocument("properties").forEach((name, property) -> {
                    if (document.containsKey(name)) {
                        check(property.asDocument(), document.get(name), path + "." + name, found);
                    }
                });
            }
        } else if (value.isArray()) {
            if (schema.containsKey("minItems") && value.asArray().size() < schema.getNumber("minItems").intValue()) {
                found.add(path + ": fewer than " + schema.getNumber("minItems").intValue() + " items");
            }
            if (schema.containsKey("items")) {
                for (int i = 0; i < value.asArray().size(); i++) {
                    check(schema.getDocument("items"), value.asArray().get(i), path + "[" + i + "]", found);
                }
            }
        } else if (value.isString()) {
            String text = value.asString().getValue();
            int length = text.codePointCount(0, text.length());
            if (schema.containsKey("minLength") && length < schema.getNumber("minLength").intValue()) {
                found.add(path + ": shorter than " + schema.getNumber("minLength").intValue());
            }
            if (schema.containsKey("maxLength") && length > schema.getNumber("maxLength").intValue()) {
                found.add(path + ": longer than " + schema.getNumber("maxLength").intValue());
            }
            if (schema.containsKey("pattern") && !Pattern.compile(schema.getString("pattern").getValue()).matcher(text).find()) {
                found.add(path + ": does not match " + schema.getString("pattern").getValue());
            }
        } else if (value.isNumber() && schema.containsKey("minimum")
            && value.asNumber().longValue() < schema.getNumber("minimum").longValue()) {
            found.add(path + ": below " + schema.getNumber("minimum").longValue());
        }
    }

    private static boolean typeMatches(BsonValue bsonType, BsonValue value) {
        List<BsonValue> allowed = bsonType.isArray() ? bsonType.asArray().getValues() : List.of(bsonType);
        return allowed.stream().anyMatch(type -> value.getBsonType().name().equals(BSON_TYPES.get(type.asString().getValue())));
    }
}
