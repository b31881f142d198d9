package dev.ferry.mongodb.readmodel;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;

import org.bson.Document;
import org.bson.conversions.Bson;
import org.bson.json.JsonParseException;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Projections;
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
 * in order. With the apply log on, each applied version is also appended to {@code _applyLog} in the same
 * update, an independent record tests and the demo count to prove nothing was applied twice.
 */
public final class MongoReadModelWriter implements ReadModelWriter {

    public static final String VERSION = "_version";
    public static final String STATE = "state";
    public static final String DELETED = "_deleted";
    public static final String APPLY_LOG = "_applyLog";
    public static final String SKIPPED = "_skipped";

    private final MongoDatabase database;
    private final boolean applyLog;

    /**
     * @param applyLog also append each applied version to {@code _applyLog} (for verification; grows with history)
     */
    public MongoReadModelWriter(MongoDatabase database, boolean applyLog) {
        this.database = database;
        this.applyLog = applyLog;
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
        // The first event creates the document: an upsert on {_id, _version: 0}, which fails with a duplicate
        // key if any version is already there.
        Document filter = new Document("_id", event.aggregateId()).append(VERSION, event.version() - 1);
        try {
            long matched = collection(projection).updateOne(filter, Updates.combine(updates),
                new UpdateOptions().upsert(event.version() == 1)).getMatchedCount();
            if (matched == 1 || event.version() == 1) {
                return Outcome.APPLIED;
            }
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
        }
        return version(projection, event.aggregateId()) >= event.version() ? Outcome.DUPLICATE : Outcome.GAP;
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
