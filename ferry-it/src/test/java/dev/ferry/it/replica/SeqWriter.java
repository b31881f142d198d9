package dev.ferry.it.replica;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.InsertManyOptions;
import com.mongodb.client.model.Updates;

/**
 * One writer of an entity collection and its own ids, some stored before it starts (seq 0) and some not yet created:
 * random updates, replaces, deletes, deletes followed at once by a re-create, and creates — plain and findAndModify —
 * a share of them on a few hot ids (so that an id changes several times while a copy runs, as a busy entity does),
 * each one putting the next value of a per-id counter, {@code seq}, into the state it writes, so that every state of
 * an id is told apart by its seq alone (a re-create goes on counting after the deleted state). A load, paced; it runs
 * until stopped.
 */
final class SeqWriter implements Runnable {

    private final MongoCollection<Document> collection;
    private final List<String> ids;
    private final List<String> hot;
    private final Map<String, Long> seq = new HashMap<>();
    private final Map<String, Boolean> exists = new HashMap<>();
    private final Random random;
    private final Duration pace;
    private final AtomicLong operations = new AtomicLong();
    private volatile boolean running = true;

    /**
     * @param stored ids stored before it starts, with seq 0 ({@link #preload})
     * @param fresh  ids it creates
     * @param hot    some of those ids, written as often as all the others together
     * @param pace   between two operations
     */
    SeqWriter(MongoCollection<Document> collection, List<String> stored, List<String> fresh, List<String> hot, long seed,
              Duration pace) {
        this.collection = collection;
        this.hot = List.copyOf(hot);
        this.random = new Random(seed);
        this.pace = pace;
        this.ids = new ArrayList<>(stored);
        this.ids.addAll(fresh);
        stored.forEach(id -> {
            seq.put(id, 0L);
            exists.put(id, true);
        });
        fresh.forEach(id -> {
            seq.put(id, 0L);
            exists.put(id, false);
        });
    }

    /** Stores {@code count} documents at seq 0, ids {@code prefix00000} on: what the copy reads. */
    static List<String> preload(MongoCollection<Document> collection, String prefix, int count) {
        List<String> ids = new ArrayList<>(count);
        List<Document> batch = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            String id = String.format("%s%05d", prefix, i);
            ids.add(id);
            batch.add(new Document("_id", id).append("seq", 0L).append("n", 0).append("name", "patient " + id));
            if (batch.size() == 1_000 || i == count - 1) {
                collection.insertMany(batch, new InsertManyOptions().ordered(true));
                batch = new ArrayList<>();
            }
        }
        return ids;
    }

    @Override
    public void run() {
        while (running) {
            List<String> from = !hot.isEmpty() && random.nextBoolean() ? hot : ids;
            String id = from.get(random.nextInt(from.size()));
            if (!exists.get(id)) {
                collection.insertOne(document(id));
                exists.put(id, true);
            } else {
                change(id);
            }
            operations.incrementAndGet();
            LockSupport.parkNanos(pace.toNanos()); // pacing the load, never a wait for a result
        }
    }

    private void change(String id) {
        switch (random.nextInt(10)) {
            case 0, 1, 2 -> collection.updateOne(Filters.eq("_id", id), bump(id));
            case 3 -> collection.findOneAndUpdate(Filters.eq("_id", id), bump(id));
            case 4, 5 -> collection.replaceOne(Filters.eq("_id", id), document(id));
            case 6 -> collection.findOneAndReplace(Filters.eq("_id", id), document(id));
            case 7 -> {
                collection.deleteOne(Filters.eq("_id", id));
                exists.put(id, false);
            }
            case 8 -> {
                collection.findOneAndDelete(Filters.eq("_id", id));
                collection.insertOne(document(id)); // re-created at once: a copy may read it between
            }
            default -> collection.updateOne(Filters.eq("_id", id),
                Updates.combine(bump(id), Updates.set("name", "renamed " + id)));
        }
    }

    private Document document(String id) {
        long next = seq.merge(id, 1L, Long::sum);
        return new Document("_id", id).append("seq", next).append("n", random.nextInt(1000))
            .append("name", "patient " + id).append("tags", List.of("x", next));
    }

    private Bson bump(String id) {
        return Updates.combine(Updates.set("seq", seq.merge(id, 1L, Long::sum)), Updates.inc("n", 1));
    }

    /** Operations made so far (a delete followed by its re-create counts once). */
    long operations() {
        return operations.get();
    }

    void stop() {
        running = false;
    }
}
