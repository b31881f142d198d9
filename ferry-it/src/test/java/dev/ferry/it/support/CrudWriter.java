package dev.ferry.it.support;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.Document;
import org.bson.types.Decimal128;
import org.bson.types.ObjectId;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;

/**
 * One writer of an entity collection and its own ids (so it knows each id's changes in order): random creates,
 * updates, replaces, deletes and re-creates — plain, findAndModify, bulk and many-document writes — of ObjectId, string
 * and Int64 ids (every key form), noting the operations each id's key should show in the topic.
 */
public final class CrudWriter {

    private final MongoCollection<Document> collection;
    private final int operations;
    private final Map<String, List<String>> expected;
    private final AtomicInteger done;
    private final Random random;
    private final List<Object> ids = new ArrayList<>();
    private final Map<Object, Long> sequence = new HashMap<>();
    private final Map<Object, Boolean> exists = new HashMap<>();

    /**
     * @param index    the writer's number: its ids are its own
     * @param idCount  how many ids it writes
     * @param expected filled with each key's operations, in order
     * @param done     counts the operations made
     */
    public CrudWriter(MongoCollection<Document> collection, int index, int idCount, int operations,
                      Map<String, List<String>> expected, AtomicInteger done) {
        this.collection = collection;
        this.operations = operations;
        this.expected = expected;
        this.done = done;
        this.random = new Random(index);
        for (int i = 0; i < idCount; i++) {
            Object id = switch (i % 3) {
                case 0 -> new ObjectId();
                case 1 -> collection.getNamespace().getCollectionName() + "-w" + index + "-" + i;
                default -> (long) index * 1_000_000 + i;
            };
            ids.add(id);
            exists.put(id, false);
        }
    }

    public void run() {
        for (int step = 0; step < operations; step++) {
            Object id = ids.get(random.nextInt(ids.size()));
            if (!exists.get(id)) {
                create(id);
            } else {
                change(id);
            }
            done.incrementAndGet();
        }
    }

    private void create(Object id) {
        if (random.nextBoolean()) {
            collection.insertOne(document(id));
        } else {
            collection.bulkWrite(List.of(new InsertOneModel<>(document(id))));
        }
        exists.put(id, true);
        note(id, "create");
    }

    private void change(Object id) {
        int choice = random.nextInt(10);
        switch (choice) {
            case 0 -> collection.updateOne(Filters.eq("_id", id), bump(id));
            case 1 -> collection.replaceOne(Filters.eq("_id", id), document(id));
            case 2 -> collection.findOneAndUpdate(Filters.eq("_id", id), bump(id));
            case 3 -> collection.findOneAndReplace(Filters.eq("_id", id), document(id));
            case 4 -> {
                collection.bulkWrite(List.of(new UpdateOneModel<>(Filters.eq("_id", id), bump(id)),
                    new UpdateOneModel<>(Filters.eq("_id", id), bump(id))));
                note(id, "update");
            }
            case 5 -> {
                Object other = ids.get(random.nextInt(ids.size()));
                if (other.equals(id) || !exists.get(other)) {
                    collection.updateOne(Filters.eq("_id", id), bump(id));
                } else {
                    collection.updateMany(Filters.in("_id", id, other), Updates.inc("n", 1));
                    note(other, "update");
                }
            }
            case 6, 7 -> {
                collection.deleteOne(Filters.eq("_id", id));
                exists.put(id, false);
                note(id, "delete");
                return;
            }
            case 8 -> {
                collection.findOneAndDelete(Filters.eq("_id", id));
                exists.put(id, false);
                note(id, "delete");
                return;
            }
            default -> collection.updateOne(Filters.eq("_id", id),
                Updates.set("tags", List.of("a", sequence.merge(id, 1L, Long::sum))));
        }
        note(id, "update");
    }

    private Document document(Object id) {
        long seq = sequence.merge(id, 1L, Long::sum);
        return new Document("_id", id).append("seq", seq).append("n", random.nextInt(1000))
            .append("name", "patient " + id).append("born", new Date(1_000_000_000_000L + seq))
            .append("balance", new Decimal128(seq)).append("tags", List.of("x", seq));
    }

    private org.bson.conversions.Bson bump(Object id) {
        return Updates.combine(Updates.set("seq", sequence.merge(id, 1L, Long::sum)), Updates.inc("n", 1));
    }

    private void note(Object id, String operation) {
        expected.computeIfAbsent(keyOf(id), k -> new ArrayList<>()).add(operation);
    }

    /** The key of one of these ids. */
    public static String keyOf(Object id) {
        return id instanceof ObjectId objectId ? objectId.toHexString()
            : id instanceof Long number ? "{\"$numberLong\": \"" + number + "\"}" : (String) id;
    }

    /** The id of one of these keys. */
    public static Object idOf(String key) {
        if (key.matches("[0-9a-f]{24}")) {
            return new ObjectId(key);
        } else if (key.startsWith("{\"$numberLong\"")) {
            return Long.parseLong(key.replaceAll("[^0-9]", ""));
        }
        return key;
    }
}
