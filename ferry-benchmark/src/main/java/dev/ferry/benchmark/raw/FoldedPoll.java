package dev.ferry.benchmark.raw;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.bson.Document;

import com.mongodb.client.model.UpdateOneModel;
import com.mongodb.client.model.UpdateOptions;
import com.mongodb.client.model.Updates;

/**
 * One poll of the raw pipeline's consumer folded as Ferry's projector folds a run of one aggregate: the records of a
 * key (an aggregate) in the poll, in their order, become one upsert that sets the last record's {@code pad} and adds
 * their count to {@code _version}. What it does not do, as the raw pipeline never does: check the stored version,
 * fold across polls (Ferry's lanes may, when they are backed up), keep an apply log.
 */
final class FoldedPoll {

    /** Per key in the order first seen: the last pad and how many records the key had in the poll. */
    private final Map<String, Run> runs = new LinkedHashMap<>();
    private int records;

    private static final class Run {
        private String pad;
        private int count;
    }

    /** Adds a record of the poll; records of one key arrive in their partition's order. */
    void add(String key, String pad) {
        Run run = runs.computeIfAbsent(key, k -> new Run());
        run.pad = pad;
        run.count++;
        records++;
    }

    /** Records added. */
    int records() {
        return records;
    }

    /** One upsert per key: the writes of the poll's one unordered bulk write. */
    List<UpdateOneModel<Document>> writes() {
        List<UpdateOneModel<Document>> writes = new ArrayList<>(runs.size());
        runs.forEach((key, run) -> writes.add(new UpdateOneModel<>(new Document("_id", key),
            Updates.combine(Updates.set("state.pad", run.pad), Updates.inc("_version", run.count)),
            new UpdateOptions().upsert(true))));
        return writes;
    }
}
