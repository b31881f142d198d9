package dev.ferry.benchmark.pipeline;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongConsumer;

import org.bson.Document;
import org.bson.types.ObjectId;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;

/** The entity documents of the copy benchmark: ~300 B of BSON each, keyed by an ObjectId. */
final class EntityDocuments {

    private EntityDocuments() {
    }

    /** One document; {@code probe} 0 for a stored one (no write of the benchmark's writer). */
    static Document document(ObjectId id, long probe) {
        return new Document("_id", id).append("name", "patient-" + id.toHexString()).append("ward", (int) (probe % 19))
            .append("active", true).append(ProbeWriter.PROBE, probe).append("notes", "x".repeat(200));
    }

    /** Stores {@code documents} documents in bulk before any relay runs; returns their ids. */
    static List<ObjectId> store(MongoCollection<Document> collection, int documents) {
        List<ObjectId> ids = new ArrayList<>(documents);
        List<Document> batch = new ArrayList<>();
        for (int n = 0; n < documents; n++) {
            ObjectId id = new ObjectId();
            ids.add(id);
            batch.add(document(id, 0));
            if (batch.size() == 1_000) {
                collection.insertMany(batch);
                batch.clear();
            }
        }
        if (!batch.isEmpty()) {
            collection.insertMany(batch);
        }
        return ids;
    }

    /**
     * The writer's writes during a copy: three in four update a stored document picked at random (ahead of the copy or
     * behind it), the fourth inserts a new one (its ObjectId sorts after the stored ones: the copy's last chunks read
     * it).
     */
    static LongConsumer writes(MongoCollection<Document> collection, List<ObjectId> stored) {
        List<ObjectId> ids = List.copyOf(stored);
        return probe -> {
            if (probe % 4 == 0) {
                collection.insertOne(document(new ObjectId(), probe));
            } else {
                collection.updateOne(Filters.eq("_id", ids.get(ThreadLocalRandom.current().nextInt(ids.size()))),
                    Updates.combine(Updates.set(ProbeWriter.PROBE, probe), Updates.set("ward", (int) (probe % 19))));
            }
        };
    }
}
