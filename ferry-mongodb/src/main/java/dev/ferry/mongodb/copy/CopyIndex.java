package dev.ferry.mongodb.copy;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

import org.bson.BsonDocument;
import org.bson.Document;

import com.mongodb.client.MongoCollection;

/**
 * An index a copy can read through: its keys begin with the copy's order, all ascending (or all descending: MongoDB
 * reads it backwards), and either it is unique on exactly that order or {@code _id} follows it as the tie-breaker.
 *
 * @param unique whether it proves the order unique, so the copy needs no {@code _id} tie-breaker
 */
record CopyIndex(String name, boolean unique) {

    static Optional<CopyIndex> find(MongoCollection<BsonDocument> collection, List<String> orderBy) {
        if (orderBy.equals(List.of("_id"))) {
            // Every collection has its unique _id index (listIndexes does not call it unique), from its creation on.
            return Optional.of(new CopyIndex("_id_", true));
        }
        List<String> withTieBreaker = new ArrayList<>(orderBy);
        withTieBreaker.add("_id");
        CopyIndex found = null;
        for (Document index : collection.listIndexes()) {
            Document key = index.get("key", Document.class);
            boolean unique = index.getBoolean("unique", false);
            if (unique && serves(key, orderBy) && key.size() == orderBy.size()) {
                return Optional.of(new CopyIndex(index.getString("name"), true));
            }
            if (found == null && serves(key, withTieBreaker)) {
                found = new CopyIndex(index.getString("name"), false);
            }
        }
        return Optional.ofNullable(found);
    }

    /** The index's keys begin with {@code fields}, in that order and all in one direction. */
    private static boolean serves(Document key, List<String> fields) {
        List<String> names = new ArrayList<>(key.keySet());
        if (names.size() < fields.size() || !names.subList(0, fields.size()).equals(fields)) {
            return false;
        }
        List<Integer> directions = fields.stream().map(field -> key.get(field) instanceof Number n ? n.intValue() : 0)
            .distinct().toList();
        return directions.equals(List.of(1)) || directions.equals(List.of(-1));
    }

    /** The one-line error for a source without such an index, with the command that creates one. */
    static String missing(String source, String database, String collection, List<String> orderBy) {
        String keys = orderBy.stream().map(field -> field + ": 1").collect(Collectors.joining(", "));
        return "source " + source + ": the copy reads " + database + "." + collection + " in the order " + orderBy
            + ", but no index serves it; create one: db.getSiblingDB(\"" + database + "\")." + collection
            + ".createIndex({" + keys + "}, {unique: true}) (or {" + keys + ", _id: 1} if two documents may share "
            + "those fields)";
    }
}
