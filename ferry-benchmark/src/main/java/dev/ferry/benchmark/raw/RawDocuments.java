package dev.ferry.benchmark.raw;

import java.util.ArrayList;
import java.util.List;

import org.bson.Document;

import com.mongodb.client.MongoCollection;

/** The documents the raw change-stream and pipeline stages read: inserted by the benchmark before the stage runs. */
public final class RawDocuments {

    /** The field holding a document's key: a thousand keys, as a thousand aggregates. */
    static final String KEY = "k";

    private RawDocuments() {
    }

    public static void insert(MongoCollection<Document> collection, int events, int payloadBytes) {
        String pad = "x".repeat(payloadBytes);
        List<Document> batch = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            batch.add(new Document(KEY, key(i)).append("i", i).append("pad", pad));
            if (batch.size() == 500 || i == events - 1) {
                collection.insertMany(batch);
                batch = new ArrayList<>();
            }
        }
    }

    static String key(int i) {
        return "agg-" + (i % 1000);
    }

    /** A JSON payload of about {@code bytes}. */
    public static String payload(int bytes) {
        return "{\"pad\":\"" + "x".repeat(Math.max(0, bytes - 10)) + "\"}";
    }
}
