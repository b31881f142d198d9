package dev.ferry.mongodb.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

import org.bson.BsonArray;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonInt32;
import org.bson.BsonString;
import org.bson.BsonValue;
import org.bson.RawBsonDocument;
import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;

/**
 * The relay's reading of a commit and the published contract cannot drift: every constraint of
 * {@code contracts/commit.bson-schema.json} ({@code required}, {@code bsonType}, {@code pattern}, {@code minLength},
 * {@code maxLength}, {@code minimum}, {@code minItems}) and the version relations docs/concepts.md states yield a violating
 * document, derived here from the schema file itself, and {@link CommitDocuments#decode} refuses each naming the field.
 */
class CommitContractRulesTest {

    private static final Path SCHEMA = Path.of("..", "contracts", "commit.bson-schema.json");
    private static final Instant AT = Instant.parse("2026-12-06T10:00:00Z");
    /** Strings tried, in order, for one that a {@code pattern} refuses. */
    private static final List<String> NON_MATCHING = List.of("bad type!", "   ", "a/b", "é");

    @Test
    void aViolationOfEachConstraintOfTheSchemaIsRefusedNamingItsField() throws IOException {
        BsonDocument schema = BsonDocument.parse(Files.readString(SCHEMA, StandardCharsets.UTF_8))
            .getDocument("$jsonSchema");
        BsonDocument valid = validCommit();
        assertThat(CommitDocuments.decode(raw(valid))).hasSize(2);

        List<Violation> violations = new ArrayList<>();
        derive(schema, List.of(), violations);
        // The relations between fields no JSON Schema keyword expresses (docs/concepts.md, "The commit contract").
        violations.add(new Violation("lastVersion", "relation", List.of("lastVersion"), v -> new BsonInt32(3)));
        violations.add(new Violation("version", "relation", List.of("events", "1", "version"), v -> new BsonInt32(1)));

        Set<String> keywordsCovered = new java.util.TreeSet<>();
        for (Violation violation : violations) {
            BsonDocument broken = violation.applyTo(valid);
            assertThatThrownBy(() -> CommitDocuments.decode(raw(broken)))
                .as("%s %s violated: %s", violation.path(), violation.keyword(), broken.toJson())
                .isInstanceOf(CommitDocuments.MalformedCommit.class)
                .hasMessageContaining(violation.field());
            keywordsCovered.add(violation.keyword());
        }
        assertThat(keywordsCovered).containsAll(List.of("required", "bsonType", "pattern", "minLength", "maxLength",
            "minimum", "minItems", "relation"));
    }

    /** Adds a violation of every constraint of {@code schema} at {@code path} and below. */
    private static void derive(BsonDocument schema, List<String> path, List<Violation> out) {
        String field = path.isEmpty() ? "" : path.get(path.size() - 1);
        if (field.chars().allMatch(Character::isDigit) && !field.isEmpty()) {
            field = path.get(path.size() - 2) + "[" + field + "]"; // an array's element: events[1]
        }
        if (!path.isEmpty()) {
            BsonValue type = schema.get("bsonType");
            if (type != null) {
                out.add(new Violation(field, "bsonType", path, v -> BsonBoolean.TRUE)); // no field of the format is a bool
            }
            if (schema.containsKey("pattern")) {
                Pattern pattern = Pattern.compile(schema.getString("pattern").getValue());
                String refused = NON_MATCHING.stream().filter(s -> !pattern.matcher(s).find()).findFirst().orElseThrow();
                out.add(new Violation(field, "pattern", path, v -> new BsonString(refused)));
            }
            if (schema.containsKey("minLength")) {
                int min = schema.getNumber("minLength").intValue();
                out.add(new Violation(field, "minLength", path, v -> new BsonString("x".repeat(min - 1))));
            }
            if (schema.containsKey("maxLength")) {
                int max = schema.getNumber("maxLength").intValue();
                out.add(new Violation(field, "maxLength", path, v -> new BsonString("x".repeat(max + 1))));
            }
            if (schema.containsKey("minimum")) {
                int min = schema.getNumber("minimum").intValue();
                out.add(new Violation(field, "minimum", path, v -> new BsonInt32(min - 1)));
            }
            if (schema.containsKey("minItems")) {
                out.add(new Violation(field, "minItems", path, v -> new BsonArray()));
            }
        }
        if (schema.containsKey("required")) {
            for (BsonValue name : schema.getArray("required")) {
                List<String> child = append(path, name.asString().getValue());
                out.add(new Violation(name.asString().getValue(), "required", child, v -> null));
            }
        }
        if (schema.containsKey("properties")) {
            schema.getDocument("properties").forEach((name, property) ->
                derive(property.asDocument(), append(path, name), out));
        }
        if (schema.containsKey("items")) {
            // Every event is checked alike; the second one is broken, so the message must name the field, not rely on
            // the first element.
            derive(schema.getDocument("items"), append(path, "1"), out);
        }
    }

    private static List<String> append(List<String> path, String name) {
        List<String> longer = new ArrayList<>(path);
        longer.add(name);
        return longer;
    }

    private static BsonDocument validCommit() {
        List<Event> events = List.of(
            new Event("e-1", "patient", "p-1", 4, "Registered", AT, "{\"name\": \"Ada\"}", new EventMetadata("c-1", null)),
            new Event("e-2", "patient", "p-1", 5, "Moved", AT, "{\"ward\": 7}", new EventMetadata("c-1", "e-1")));
        return CommitDocuments.encode(events).toBsonDocument();
    }

    private static RawBsonDocument raw(BsonDocument document) {
        return new RawBsonDocument(document, new org.bson.codecs.BsonDocumentCodec());
    }

    /**
     * One constraint broken at one place.
     *
     * @param field   the field's name the refusal must mention
     * @param path    field names and array indexes from the root
     * @param replace the broken value from the valid one; null removes the field
     */
    private record Violation(String field, String keyword, List<String> path, UnaryOperator<BsonValue> replace) {

        BsonDocument applyTo(BsonDocument valid) {
            BsonDocument copy = valid.clone();
            BsonValue parent = copy;
            for (String step : path.subList(0, path.size() - 1)) {
                parent = parent.isArray() ? parent.asArray().get(Integer.parseInt(step)) : parent.asDocument().get(step);
            }
            String last = path.get(path.size() - 1);
            if (parent.isArray()) {
                BsonArray holder = parent.asArray();
                int index = Integer.parseInt(last);
                holder.set(index, replace.apply(holder.get(index)));
                return copy;
            }
            BsonDocument holder = parent.asDocument();
            BsonValue broken = replace.apply(holder.get(last));
            if (broken == null) {
                holder.remove(last);
            } else {
                holder.put(last, broken);
            }
            return copy;
        }
    }
}
