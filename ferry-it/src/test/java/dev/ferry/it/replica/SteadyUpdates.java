package dev.ferry.it.replica;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

import org.bson.Document;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;

/**
 * A steady trickle of updates to a few ids of each entity (given one per partition), so that every partition has work
 * in flight whenever a fault comes: a load, not a measure; nothing waits on it.
 */
final class SteadyUpdates implements AutoCloseable {

    /** Between two updates: a load a loaded 2-core machine keeps up with (~100 changes a second). */
    private static final Duration PACE = Duration.ofMillis(10);

    private final List<MongoCollection<Document>> collections = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();
    private final Thread thread = new Thread(this::run, "steady-updates");
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private volatile boolean running = true;

    /** @param ids per entity (collection name), the ids to update */
    SteadyUpdates(MongoDatabase database, List<String> entities, Map<String, List<String>> ids) {
        for (String entity : entities) {
            for (String id : ids.get(entity)) {
                collections.add(database.getCollection(entity));
                this.ids.add(id);
                database.getCollection(entity).insertOne(new Document("_id", id).append("n", 0));
            }
        }
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void run() {
        try {
            for (int i = 0; running; i++) {
                int at = i % ids.size();
                collections.get(at).updateOne(Filters.eq("_id", ids.get(at)), Updates.inc("n", 1));
                LockSupport.parkNanos(PACE.toNanos()); // pacing the load, never a wait for a result
            }
        } catch (RuntimeException e) {
            if (running) {
                failure.set(e);
            }
        }
    }

    /** Stops the updates; fails if they stopped on their own before. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(TimeUnit.SECONDS.toMillis(30));
        if (failure.get() != null) {
            throw new IllegalStateException("the steady updates failed", failure.get());
        }
    }
}
