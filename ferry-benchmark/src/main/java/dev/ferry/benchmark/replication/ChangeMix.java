package dev.ferry.benchmark.replication;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.Document;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.DeleteOneModel;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.InsertOneModel;
import com.mongodb.client.model.ReplaceOneModel;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.Updates;
import com.mongodb.client.model.WriteModel;

import dev.ferry.benchmark.raw.PatientDocuments;

/**
 * The catch-up's changes: every id is inserted, updated twice and replaced, and every {@value #RECREATE_EVERY}th id
 * is then deleted and created again — 4.5 changes per id on average, {@code changes} in all (the last ids' sequences
 * shortened to reach the count, never ending deleted). Written in ordered bulk writes of {@value #IDS_PER_BULK}
 * ids, each bulk's inserts, then updates, replaces, deletes and re-creates: one id's changes in order, different
 * ids' interleaved in the oplog as an application's would be.
 */
final class ChangeMix {

    static final int RECREATE_EVERY = 4;
    static final int IDS_PER_BULK = 50;

    private ChangeMix() {
    }

    /**
     * One id's first {@code length} changes, phase by phase: insert; update, update; replace; delete; insert. A
     * length of 6 is the re-created id's whole sequence; shorter ones never end with the delete (an update read after
     * it would find no document to look up).
     */
    static List<List<WriteModel<Document>>> perId(String id, int bytes, int length) {
        List<WriteModel<Document>> sequence = List.of(new InsertOneModel<>(PatientDocuments.patient(id, bytes)),
            new UpdateOneModel<>(Filters.eq("_id", id), Updates.set("visits", 4L)),
            new UpdateOneModel<>(Filters.eq("_id", id), Updates.combine(Updates.set("active", false),
                Updates.inc("visits", 1L))),
            new ReplaceOneModel<>(Filters.eq("_id", id), PatientDocuments.patient(id, bytes).append("visits", 6L)),
            new DeleteOneModel<>(Filters.eq("_id", id)),
            new InsertOneModel<>(PatientDocuments.patient(id, bytes).append("visits", 7L)));
        int[][] phases = {{0, 1}, {1, 3}, {3, 4}, {4, 5}, {5, 6}};
        List<List<WriteModel<Document>>> byPhase = new ArrayList<>();
        for (int[] phase : phases) {
            byPhase.add(sequence.subList(Math.min(phase[0], length), Math.min(phase[1], length)));
        }
        return byPhase;
    }

    /**
     * Writes {@code changes} changes of ids {@code prefix + n} with {@code writers} threads; returns how many (exactly
     * {@code changes}).
     */
    static long write(MongoCollection<Document> patients, int writers, int bytes, String prefix, int changes)
        throws Exception {
        List<List<WriteModel<Document>>> bulks = plan(bytes, prefix, changes);
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        try {
            List<Future<?>> running = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                running.add(pool.submit(() -> {
                    for (int b = next.getAndIncrement(); b < bulks.size(); b = next.getAndIncrement()) {
                        patients.bulkWrite(bulks.get(b), new BulkWriteOptions().ordered(true));
                    }
                    return null;
                }));
            }
            for (Future<?> writer : running) {
                writer.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return bulks.stream().mapToLong(List::size).sum();
    }

    /** The bulks: {@value #IDS_PER_BULK} ids each, phase by phase; {@code changes} in all. */
    static List<List<WriteModel<Document>>> plan(int bytes, String prefix, int changes) {
        List<Integer> lengths = new ArrayList<>();
        for (int left = changes; left > 0; ) {
            int whole = lengths.size() % RECREATE_EVERY == RECREATE_EVERY - 1 ? 6 : 4;
            int length = left >= whole ? whole : Math.min(4, left);
            lengths.add(length);
            left -= length;
        }
        List<List<WriteModel<Document>>> bulks = new ArrayList<>();
        for (int first = 0; first < lengths.size(); first += IDS_PER_BULK) {
            List<List<List<WriteModel<Document>>>> ids = new ArrayList<>();
            for (int i = first; i < Math.min(first + IDS_PER_BULK, lengths.size()); i++) {
                ids.add(perId(prefix + String.format("%07d", i), bytes, lengths.get(i)));
            }
            List<WriteModel<Document>> bulk = new ArrayList<>();
            for (int phase = 0; phase < 5; phase++) {
                for (List<List<WriteModel<Document>>> id : ids) {
                    bulk.addAll(id.get(phase));
                }
            }
            bulks.add(bulk);
        }
        return bulks;
    }
}
