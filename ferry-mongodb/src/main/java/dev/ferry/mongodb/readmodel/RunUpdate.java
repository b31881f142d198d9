package dev.ferry.mongodb.readmodel;

import java.util.ArrayList;
import java.util.List;

import org.bson.Document;

import dev.ferry.core.event.Event;

/**
 * The one update that takes a read-model document through consecutive versions: the handlers' changes folded in
 * order (a later Put replaces, a Merge sets fields, a Remove leaves a tombstone), the last version and event id,
 * and every version in the apply log. Folding first is what lets a run of events cost one write.
 */
final class RunUpdate {

    /** What one event does to the document, its JSON already parsed. */
    sealed interface Effect {
        record Put(Document state) implements Effect { }

        record Merge(Document fields) implements Effect { }

        record Remove() implements Effect { }

        record Keep() implements Effect { }

        record Skip(Document marker) implements Effect { }
    }

    private Document state;
    private final Document merged = new Document();
    private boolean removed;
    private boolean touched;
    private final List<Long> versions = new ArrayList<>();
    private final List<Document> skipped = new ArrayList<>();
    private Event last;

    void add(Event event, Effect effect) {
        if (effect instanceof Effect.Put put) {
            state = new Document(put.state());
            merged.clear();
            removed = false;
            touched = true;
        } else if (effect instanceof Effect.Merge merge) {
            if (state != null) {
                state.putAll(merge.fields());
            } else if (removed) {
                state = new Document(merge.fields()); // fields set on a removed document start it afresh
                removed = false;
            } else {
                merged.putAll(merge.fields());
            }
            touched = true;
        } else if (effect instanceof Effect.Remove) {
            state = null;
            merged.clear();
            removed = true;
            touched = true;
        } else if (effect instanceof Effect.Skip skip) {
            skipped.add(skip.marker());
        }
        versions.add(event.version());
        last = event;
    }

    boolean isEmpty() {
        return last == null;
    }

    Event last() {
        return last;
    }

    /**
     * The update as one plain {@link Document} ({@code $set}, {@code $unset}, {@code $push}), the same as the
     * {@code Updates} builders combine to; the driver encodes a Document straight onto the wire, where the builders
     * first copied every field (the state included) into an intermediate BSON tree.
     *
     * @param writeId unique to this attempt, so that whoever sent it can tell afterwards that it was applied
     */
    Document toUpdate(boolean applyLog, String writeId) {
        Document set = new Document();
        Document unset = null;
        Document push = null;
        if (state != null) {
            set.put(MongoReadModelWriter.STATE, state);
            unset = new Document(MongoReadModelWriter.DELETED, "");
        } else if (removed) {
            unset = new Document(MongoReadModelWriter.STATE, "");
            set.put(MongoReadModelWriter.DELETED, true);
        } else if (touched) {
            merged.forEach((key, value) -> set.put(MongoReadModelWriter.STATE + "." + key, value));
            unset = new Document(MongoReadModelWriter.DELETED, "");
        }
        if (!skipped.isEmpty()) {
            push = new Document(MongoReadModelWriter.SKIPPED, new Document("$each", skipped));
        }
        set.put(MongoReadModelWriter.VERSION, last.version());
        set.put("_type", last.aggregateType());
        set.put("_lastEventId", last.eventId());
        set.put(MongoReadModelWriter.LAST_WRITE, writeId);
        if (applyLog) {
            push = push == null ? new Document() : push;
            push.put(MongoReadModelWriter.APPLY_LOG, new Document("$each", versions));
        }
        Document update = new Document("$set", set);
        if (unset != null) {
            update.put("$unset", unset);
        }
        if (push != null) {
            update.put("$push", push);
        }
        return update;
    }
}
