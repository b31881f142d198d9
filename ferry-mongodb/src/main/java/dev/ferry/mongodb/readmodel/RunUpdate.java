package dev.ferry.mongodb.readmodel;

import java.util.ArrayList;
import java.util.List;

import org.bson.Document;
import org.bson.conversions.Bson;

import com.mongodb.client.model.Updates;

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

    /** @param writeId unique to this attempt, so that whoever sent it can tell afterwards that it was applied */
    Bson toUpdate(boolean applyLog, String writeId) {
        List<Bson> updates = new ArrayList<>();
        if (state != null) {
            updates.add(Updates.set(MongoReadModelWriter.STATE, state));
            updates.add(Updates.unset(MongoReadModelWriter.DELETED));
        } else if (removed) {
            updates.add(Updates.unset(MongoReadModelWriter.STATE));
            updates.add(Updates.set(MongoReadModelWriter.DELETED, true));
        } else if (touched) {
            merged.forEach((key, value) -> updates.add(Updates.set(MongoReadModelWriter.STATE + "." + key, value)));
            updates.add(Updates.unset(MongoReadModelWriter.DELETED));
        }
        if (!skipped.isEmpty()) {
            updates.add(Updates.pushEach(MongoReadModelWriter.SKIPPED, skipped));
        }
        updates.add(Updates.set(MongoReadModelWriter.VERSION, last.version()));
        updates.add(Updates.set("_type", last.aggregateType()));
        updates.add(Updates.set("_lastEventId", last.eventId()));
        updates.add(Updates.set(MongoReadModelWriter.LAST_WRITE, writeId));
        if (applyLog) {
            updates.add(Updates.pushEach(MongoReadModelWriter.APPLY_LOG, versions));
        }
        return Updates.combine(updates);
    }
}
