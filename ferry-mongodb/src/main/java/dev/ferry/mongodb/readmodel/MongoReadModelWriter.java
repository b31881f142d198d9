package dev.ferry.mongodb.readmodel;

import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.json.JsonParseException;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoBulkWriteException;
import com.mongodb.bulk.BulkWriteError;
import com.mongodb.bulk.BulkWriteResult;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.BulkWriteOptions;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;

import dev.ferry.core.event.Event;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;

/**
 * Read models in MongoDB, one document per aggregate in a collection named after the projection:
 * <pre>{_id: aggregateId, _type, _version, _lastEventId, state: {…}, _deleted?, _skipped?: […], _applyLog?: […]}</pre>
 * Every change is one conditional update on {@code {_id, _version: v - 1}}, so it applies exactly once and only
 * in order. Concurrent writes (of different aggregates) are grouped into one bulk write per round trip. With the apply log on, each applied version is also appended to {@code _applyLog} in the same
 * update, an independent record tests and the demo count to prove nothing was applied twice.
 */
public final class MongoReadModelWriter implements ReadModelWriter {

    public static final String VERSION = "_version";
    public static final String STATE = "state";
    public static final String DELETED = "_deleted";
    public static final String APPLY_LOG = "_applyLog";
    public static final String SKIPPED = "_skipped";

    /** Most writes in one bulk write. */
    private static final int MAX_BATCH = 500;

    private final MongoDatabase database;
    private final boolean applyLog;
    private final BlockingQueue<PendingWrite> queue = new LinkedBlockingQueue<>();

    /**
     * @param applyLog also append each applied version to {@code _applyLog} (for verification; grows with history)
     */
    public MongoReadModelWriter(MongoDatabase database, boolean applyLog) {
        this.database = database;
        this.applyLog = applyLog;
        Thread writer = new Thread(this::writeBatches, "read-model-writer");
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public Outcome apply(Projection projection, Event event, ReadModelChange change) {
        List<Bson> updates = new ArrayList<>();
        if (change instanceof ReadModelChange.Put put) {
            updates.add(Updates.set(STATE, parse(put.json(), event)));
            updates.add(Updates.unset(DELETED));
        } else if (change instanceof ReadModelChange.Merge merge) {
            Document fields = parse(merge.json(), event);
            fields.forEach((key, value) -> updates.add(Updates.set(STATE + "." + key, value)));
            updates.add(Updates.unset(DELETED));
        } else if (change instanceof ReadModelChange.Remove) {
            updates.add(Updates.unset(STATE));
            updates.add(Updates.set(DELETED, true));
        }
        return write(projection, event, updates);
    }

    @Override
    public Outcome skip(Projection projection, Event event, String reason) {
        return write(projection, event, List.of(Updates.push(SKIPPED, new Document("version", event.version())
            .append("eventId", event.eventId()).append("eventType", event.eventType()).append("reason", reason)
            .append("skippedAt", new Date()))));
    }

    @Override
    public long version(Projection projection, String aggregateId) {
        Document document = collection(projection).find(new Document("_id", aggregateId))
            .projection(Projections.include(VERSION)).first();
        return document == null ? 0 : ((Number) document.get(VERSION)).longValue();
    }

    private Outcome write(Projection projection, Event event, List<Bson> changes) {
        List<Bson> updates = new ArrayList<>(changes);
        updates.add(Updates.set(VERSION, event.version()));
        updates.add(Updates.set("_type", event.aggregateType()));
        updates.add(Updates.set("_lastEventId", event.eventId()));
        if (applyLog) {
            updates.add(Updates.push(APPLY_LOG, event.version()));
        }
        PendingWrite pending = new PendingWrite(projection, event, Updates.combine(updates));
        // Group commit: one writer thread sends everything queued meanwhile in one round trip per read model.
        // Lanes work on different aggregates, so a batch never holds two writes of one aggregate.
        queue.add(pending);
        try {
            return pending.outcome.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
        }
    }

    private void writeBatches() {
        while (true) {
            List<PendingWrite> batch = new ArrayList<>();
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            Map<String, List<PendingWrite>> byCollection = new LinkedHashMap<>();
            batch.forEach(write -> byCollection.computeIfAbsent(write.projection.name(), name -> new ArrayList<>()).add(write));
            byCollection.forEach((name, writes) -> {
                try {
                    flush(database.getCollection(name), writes);
                } catch (RuntimeException e) {
                    writes.forEach(w -> w.outcome.completeExceptionally(e));
                }
            });
        }
    }

    /**
     * One batch for one read model: the current versions in one read, then only the writes that are next in line,
     * in one unordered bulk write of conditional updates. Each aggregate appears once, and only its lane writes it
     * here, so what the read found still holds; the conditional filters guard against anyone else.
     */
    private static void flush(MongoCollection<Document> collection, List<PendingWrite> writes) {
        Map<String, Long> versions = new HashMap<>();
        List<String> ids = writes.stream().map(w -> w.event.aggregateId()).toList();
        for (Document document : collection.find(Filters.in("_id", ids)).projection(Projections.include(VERSION))) {
            versions.put(document.getString("_id"), ((Number) document.get(VERSION)).longValue());
        }
        List<PendingWrite> next = new ArrayList<>();
        List<UpdateOneModel<Document>> models = new ArrayList<>();
        for (PendingWrite write : writes) {
            long current = versions.getOrDefault(write.event.aggregateId(), 0L);
            long version = write.event.version();
            if (current >= version) {
                write.outcome.complete(Outcome.DUPLICATE);
            } else if (current < version - 1) {
                write.outcome.complete(Outcome.GAP);
            } else {
                next.add(write);
                models.add(new UpdateOneModel<>(new Document("_id", write.event.aggregateId()).append(VERSION, version - 1),
                    write.update, new UpdateOptions().upsert(version == 1)));
            }
        }
        if (models.isEmpty()) {
            return;
        }
        Set<Integer> failed = new HashSet<>();
        BulkWriteResult result;
        try {
            result = collection.bulkWrite(models, new BulkWriteOptions().ordered(false));
        } catch (MongoBulkWriteException e) {
            for (BulkWriteError error : e.getWriteErrors()) {
                if (error.getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
                failed.add(error.getIndex()); // a version-1 upsert that lost to an existing document
            }
            result = e.getWriteResult();
        }
        boolean allMatched = result.getMatchedCount() + result.getUpserts().size() == models.size() - failed.size();
        for (int i = 0; i < next.size(); i++) {
            PendingWrite write = next.get(i);
            if (!failed.contains(i) && allMatched) {
                write.outcome.complete(Outcome.APPLIED);
            } else {
                // Someone else wrote this aggregate meanwhile (a previous owner finishing late): see where it is.
                long now = versionOf(collection, write.event.aggregateId());
                write.outcome.complete(now >= write.event.version() ? Outcome.DUPLICATE : Outcome.GAP);
            }
        }
    }

    private static long versionOf(MongoCollection<Document> collection, String aggregateId) {
        Document document = collection.find(new Document("_id", aggregateId)).projection(Projections.include(VERSION)).first();
        return document == null ? 0 : ((Number) document.get(VERSION)).longValue();
    }

    private record PendingWrite(Projection projection, Event event, Bson update, CompletableFuture<Outcome> outcome) {
        PendingWrite(Projection projection, Event event, Bson update) {
            this(projection, event, update, new CompletableFuture<>());
        }
    }

    private MongoCollection<Document> collection(Projection projection) {
        return database.getCollection(projection.name());
    }

    private static Document parse(String json, Event event) {
        try {
            return Document.parse(json);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("handler for " + event.eventType() + " returned a change that is not a "
                + "JSON object: " + e.getMessage(), e);
        }
    }
}
