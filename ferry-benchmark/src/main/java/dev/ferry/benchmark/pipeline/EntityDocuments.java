package dev.ferry.benchmark.pipeline;

import java.util.ArrayList;
import java.util.List;

import org.bson.Document;
import org.bson.types.ObjectId;

import com.mongodb.client.MongoCollection;

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
}
