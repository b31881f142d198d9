package dev.ferry.embedded.mongo.internals;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import de.bwaldvogel.mongo.bson.Document;

/**
 * The {@code updateDescription} of an update event, derived from the document before and after the update. A real
 * server reports the paths its update operators wrote; this reports the fields that differ, descending into an
 * embedded document only where the update named a dotted path inside it ({@code $set: {"a.b": 1}} reports
 * {@code a.b}, {@code $set: {a: {...}}} reports {@code a}). For {@code $set}, {@code $unset}, {@code $inc} and the
 * like both agree; array operators differ (the whole array is reported, a real server reports element paths and
 * {@code truncatedArrays}), and a write of an unchanged value is omitted.
 */
final class UpdateDescriptions {

    private UpdateDescriptions() {
    }

    /** For an update whose document is gone by the time it is recorded. */
    static Document none() {
        return describe(new Document(), new Document(), new Document());
    }

    static Document describe(Document before, Document after, Document update) {
        List<String> namedPaths = namedPaths(update);
        Document updatedFields = new Document();
        List<String> removedFields = new ArrayList<>();
        diff("", before, after, namedPaths, updatedFields, removedFields);
        return new Document("updatedFields", updatedFields)
            .append("removedFields", removedFields)
            .append("truncatedArrays", List.of());
    }

    private static void diff(String prefix, Document before, Document after, List<String> namedPaths,
                             Document updatedFields, List<String> removedFields) {
        for (String key : after.keySet()) {
            String path = prefix + key;
            Object newValue = after.get(key);
            if (!before.containsKey(key)) {
                updatedFields.put(path, newValue);
                continue;
            }
            Object oldValue = before.get(key);
            if (Objects.equals(oldValue, newValue)) {
                continue;
            }
            if (oldValue instanceof Document oldDocument && newValue instanceof Document newDocument
                && namesPathInside(namedPaths, path)) {
                diff(path + ".", oldDocument, newDocument, namedPaths, updatedFields, removedFields);
            } else {
                updatedFields.put(path, newValue);
            }
        }
        for (String key : before.keySet()) {
            if (!after.containsKey(key)) {
                removedFields.add(prefix + key);
            }
        }
    }

    private static boolean namesPathInside(List<String> namedPaths, String path) {
        String inside = path + ".";
        return namedPaths.stream().anyMatch(named -> named.startsWith(inside));
    }

    /** The field paths the update's operators name, e.g. {@code a.b} of {@code {$set: {"a.b": 1}}}. */
    private static List<String> namedPaths(Document update) {
        List<String> paths = new ArrayList<>();
        for (Object operand : update.values()) {
            if (operand instanceof Document fields) {
                paths.addAll(fields.keySet());
            }
        }
        return paths;
    }
}
