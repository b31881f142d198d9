package dev.ferry.mongodb.readmodel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;

import org.bson.Document;
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

import dev.ferry.core.event.Event;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.mongodb.readmodel.RunUpdate.Effect;

/**
 * Read models in MongoDB, one document per aggregate in a collection named after the projection:
 * <pre>{_id: aggregateId, _type, _version, _lastEventId, _lastWrite, state: {…}, _deleted?, _skipped?: […], _applyLog?: […]}</pre>
 * A run of events of one aggregate is one conditional update on {@code {_id, _version: current}} that folds their
 * changes ({@link RunUpdate}), so it applies exactly once and only in order. For an aggregate whose versions only
 * increase ({@link VersionRule#INCREASING}) the first try is conditional on {@code _version < first}. Concurrent runs (of different
 * aggregates) are grouped into one bulk write per round trip. With the apply log on ({@code projector.applyLog}),
 * each applied version is also appended to {@code _applyLog} in the same update, for operators and the demo's
 * verifier to read. It is this writer's own account, written by the update it describes, so it is no independent
 * evidence: the tests count duplicate and reordered applies from a change stream on the read-model collection.
 */
public final class MongoReadModelWriter implements ReadModelWriter {

    public static final String VERSION = "_version";
    public static final String STATE = "state";
    public static final String DELETED = "_deleted";
    public static final String APPLY_LOG = "_applyLog";
    public static final String SKIPPED = "_skipped";
    /** Set by every write to an id of its own: a bulk write reports only how many matched, this tells which. */
    static final String LAST_WRITE = "_lastWrite";

    /** Never changed once made: the driver only reads them. */
    private static final UpdateOptions UPSERT = new UpdateOptions().upsert(true);
    private static final UpdateOptions UPDATE_ONLY = new UpdateOptions().upsert(false);

    /** Most runs in one bulk write. */
    private static final int MAX_BATCH = 500;
    /** Rounds a run is re-planned when its conditional update found the document moved on meanwhile. */
    private static final int MAX_ATTEMPTS = 5;

    private final MongoDatabase database;
    private final boolean applyLog;
    private final BlockingQueue<PendingRun> queue = new LinkedBlockingQueue<>();
    private final WriteIds writeIds = new WriteIds();

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
        return applyRun(projection, List.of(new Step(event, change))).get(0);
    }

    @Override
    public List<Outcome> applyRun(Projection projection, List<Step> run) {
        if (run.isEmpty()) {
            return List.of();
        }
        return submit(pending(projection, run));
    }

    /** Queues every run at once, so they go in the same bulk write; a run that fails is null, its neighbours not. */
    @Override
    public List<List<Outcome>> applyRuns(Projection projection, List<List<Step>> runs) {
        List<CompletableFuture<List<Outcome>>> outcomes = new ArrayList<>(runs.size());
        List<PendingRun> pending = new ArrayList<>(runs.size());
        for (List<Step> run : runs) {
            if (run.isEmpty()) {
                outcomes.add(CompletableFuture.completedFuture(List.of()));
                continue;
            }
            try {
                PendingRun one = pending(projection, run);
                pending.add(one);
                outcomes.add(one.outcomes);
            } catch (RuntimeException unparsable) {
                outcomes.add(CompletableFuture.failedFuture(unparsable));
            }
        }
        queue.addAll(pending);
        List<List<Outcome>> written = new ArrayList<>(runs.size());
        for (CompletableFuture<List<Outcome>> run : outcomes) {
            try {
                written.add(run.join());
            } catch (CompletionException failed) {
                written.add(null);
            }
        }
        return written;
    }

    private PendingRun pending(Projection projection, List<Step> run) {
        String aggregateId = run.get(0).event().aggregateId();
        List<PlannedStep> steps = new ArrayList<>(run.size());
        for (Step step : run) {
            if (!step.event().aggregateId().equals(aggregateId)) {
                throw new IllegalArgumentException("a run holds events of one aggregate, got " + aggregateId + " and "
                    + step.event().aggregateId());
            }
            steps.add(new PlannedStep(step.event(), effect(step.event(), step.change()))); // parsed on the caller's thread
        }
        return new PendingRun(projection, aggregateId, steps);
    }

    @Override
    public Outcome skip(Projection projection, Event event, String reason) {
        Document marker = new Document("version", event.version()).append("eventId", event.eventId())
            .append("eventType", event.eventType()).append("reason", reason).append("skippedAt", new Date());
        return submit(new PendingRun(projection, event.aggregateId(),
            List.of(new PlannedStep(event, new Effect.Skip(marker))))).get(0);
    }

    @Override
    public long version(Projection projection, String aggregateId) {
        return versionOf(database.getCollection(projection.name()), aggregateId);
    }

    private static Effect effect(Event event, ReadModelChange change) {
        if (change instanceof ReadModelChange.Put put) {
            return new Effect.Put(parse(put.json(), event));
        } else if (change instanceof ReadModelChange.Merge merge) {
            return new Effect.Merge(parse(merge.json(), event));
        } else if (change instanceof ReadModelChange.Remove) {
            return new Effect.Remove();
        }
        return new Effect.Keep();
    }

    private List<Outcome> submit(PendingRun run) {
        // Group commit: one writer thread sends everything queued meanwhile in one round trip per read model.
        // Each aggregate's lane waits for its run, so a batch never holds two runs of one aggregate.
        queue.add(run);
        try {
            return run.outcomes.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : e;
        }
    }

    private void writeBatches() {
        while (true) {
            List<PendingRun> batch = new ArrayList<>();
            try {
                batch.add(queue.take());
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            Map<String, List<PendingRun>> byCollection = new LinkedHashMap<>();
            batch.forEach(run -> byCollection.computeIfAbsent(run.projection.name(), name -> new ArrayList<>()).add(run));
            byCollection.forEach((name, runs) -> {
                try {
                    flush(database.getCollection(name), runs, 1);
                } catch (RuntimeException e) {
                    runs.forEach(run -> run.outcomes.completeExceptionally(e));
                }
            });
        }
    }

    /**
     * One batch for one read model: one conditional update per run for the events that are next in line, in one
     * unordered bulk write. The first attempt assumes each run starts where its read model is (contiguous versions:
     * just before the run; increasing ones: anywhere below the run's first new version) — the normal case, one round
     * trip; a run the conditional filter refused (a duplicate, a gap, or another writer) is planned again from the
     * versions actually stored.
     */
    private void flush(MongoCollection<Document> collection, List<PendingRun> runs, int attempt) {
        Map<String, Long> versions = new HashMap<>();
        if (attempt == 1) {
            // Contiguous: assume the read model is just before the run. Increasing: nothing to assume; plan from 0 and
            // let the filter require only a lower stored version.
            runs.forEach(run -> versions.put(run.aggregateId,
                run.rule() == VersionRule.INCREASING ? 0L : run.steps.get(0).event.version() - 1));
        } else {
            stored(collection, runs).forEach((id, document) -> versions.put(id, ((Number) document.get(VERSION)).longValue()));
        }
        List<Plan> plans = new ArrayList<>();
        List<UpdateOneModel<Document>> models = new ArrayList<>();
        for (PendingRun run : runs) {
            long current = versions.getOrDefault(run.aggregateId, 0L);
            Plan plan = plan(run, current);
            if (plan.update.isEmpty()) {
                run.outcomes.complete(plan.outcomes);
            } else {
                plans.add(plan);
                boolean belowFirst = attempt == 1 && run.rule() == VersionRule.INCREASING;
                Document filter = new Document("_id", run.aggregateId)
                    .append(VERSION, belowFirst ? new Document("$lt", plan.firstApplied) : current);
                // An upsert that finds the document at or past the run fails with a duplicate key: planned again.
                models.add(new UpdateOneModel<>(filter, plan.update.toUpdate(applyLog, plan.writeId),
                    belowFirst || current == 0 ? UPSERT : UPDATE_ONLY));
            }
        }
        if (models.isEmpty()) {
            return;
        }
        Set<Integer> refused = new HashSet<>();
        BulkWriteResult result;
        try {
            result = collection.bulkWrite(models, new BulkWriteOptions().ordered(false));
        } catch (MongoBulkWriteException e) {
            for (BulkWriteError error : e.getWriteErrors()) {
                if (error.getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
                refused.add(error.getIndex()); // an upsert of a new document that lost to an existing one
            }
            result = e.getWriteResult();
        }
        boolean allMatched = result.getMatchedCount() + result.getUpserts().size() == models.size() - refused.size();
        // Which runs were written is known only in total; if not all, the stored documents tell which.
        Map<String, Document> stored = allMatched ? Map.of() : stored(collection, plans.stream().map(Plan::run).toList());
        List<PendingRun> again = new ArrayList<>();
        for (int i = 0; i < plans.size(); i++) {
            Plan plan = plans.get(i);
            if (!refused.contains(i) && (allMatched || wasWritten(stored.get(plan.run.aggregateId), plan))) {
                plan.run.outcomes.complete(plan.outcomes);
            } else {
                again.add(plan.run); // not where this run started: planned again from what is stored
            }
        }
        if (again.isEmpty()) {
            return;
        }
        if (attempt >= MAX_ATTEMPTS) {
            IllegalStateException moving = new IllegalStateException("the read model of " + again.get(0).aggregateId
                + " kept changing under this writer " + MAX_ATTEMPTS + " times: is another projector writing it?");
            again.forEach(run -> run.outcomes.completeExceptionally(moving));
            return;
        }
        flush(collection, again, attempt + 1);
    }

    /**
     * Which events of the run are next in line from {@code current}, and their folded update: by the run's version
     * rule, the next contiguous versions, or every version greater than the last (no gap exists for INCREASING).
     */
    private Plan plan(PendingRun run, long current) {
        List<Outcome> outcomes = new ArrayList<>(run.steps.size());
        RunUpdate update = new RunUpdate();
        boolean increasing = run.rule() == VersionRule.INCREASING;
        long at = current;
        long firstApplied = 0;
        for (PlannedStep step : run.steps) {
            long version = step.event.version();
            if (version <= at) {
                outcomes.add(Outcome.DUPLICATE);
            } else if (increasing || version == at + 1) {
                update.add(step.event, step.effect);
                outcomes.add(Outcome.APPLIED);
                firstApplied = firstApplied == 0 ? version : firstApplied;
                at = version;
            } else {
                outcomes.addAll(Collections.nCopies(run.steps.size() - outcomes.size(), Outcome.GAP));
                break;
            }
        }
        return new Plan(run, outcomes, update, writeIds.next(), firstApplied);
    }

    /** The stored version and last write id of the runs' documents, by id, in one read. */
    private static Map<String, Document> stored(MongoCollection<Document> collection, List<PendingRun> runs) {
        Map<String, Document> documents = new HashMap<>();
        for (Document document : collection.find(Filters.in("_id", runs.stream().map(PendingRun::aggregateId).toList()))
            .projection(Projections.include(VERSION, LAST_WRITE))) {
            documents.put(document.getString("_id"), document);
        }
        return documents;
    }

    /**
     * After a partly matched bulk write: did this plan's own update land? (The same events written by someone else,
     * a replay or a previous owner, leave the same version and event id, but not this write's id.)
     */
    private static boolean wasWritten(Document document, Plan plan) {
        return document != null && plan.writeId.equals(document.getString(LAST_WRITE));
    }

    private static long versionOf(MongoCollection<Document> collection, String aggregateId) {
        Document document = collection.find(new Document("_id", aggregateId)).projection(Projections.include(VERSION)).first();
        return document == null ? 0 : ((Number) document.get(VERSION)).longValue();
    }

    private record PlannedStep(Event event, Effect effect) {
    }

    private record PendingRun(Projection projection, String aggregateId, List<PlannedStep> steps,
                              CompletableFuture<List<Outcome>> outcomes) {
        PendingRun(Projection projection, String aggregateId, List<PlannedStep> steps) {
            this(projection, aggregateId, steps, new CompletableFuture<>());
        }

        /** One aggregate's events all follow its source's rule. */
        VersionRule rule() {
            return steps.get(0).event.versionRule();
        }
    }

    private record Plan(PendingRun run, List<Outcome> outcomes, RunUpdate update, String writeId, long firstApplied) {
    }

    private static Document parse(String json, Event event) {
        try {
            return JsonDocuments.parse(json);
        } catch (JsonParseException e) {
            throw new IllegalArgumentException("handler for " + event.eventType() + " returned a change that is not a "
                + "JSON object: " + e.getMessage(), e);
        }
    }
}
