package dev.ferry.mongodb.parking;

import static com.mongodb.client.model.Filters.and;
import static com.mongodb.client.model.Filters.eq;

import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import org.bson.Document;
import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;
import org.bson.types.ObjectId;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Sorts;
import com.mongodb.client.model.Updates;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.target.ParkedEvents;

/**
 * Parked events in {@code ferry_parked} (one document per event, unique per record so a re-delivered record is
 * parked once), operators' requests in {@code ferry_parked_requests}.
 */
public final class MongoParkedEvents implements ParkedEvents {

    private static final JsonWriterSettings RELAXED = JsonWriterSettings.builder().outputMode(JsonMode.RELAXED).build();

    private final MongoCollection<Document> parked;
    private final MongoCollection<Document> requests;

    public MongoParkedEvents(MongoDatabase database) {
        this.parked = database.getCollection("ferry_parked").withWriteConcern(WriteConcern.MAJORITY);
        this.requests = database.getCollection("ferry_parked_requests").withWriteConcern(WriteConcern.MAJORITY);
        parked.createIndex(Indexes.ascending("projection", "topic", "partition", "offset"),
            new IndexOptions().unique(true).name("one_per_record"));
    }

    @Override
    public void park(String projection, ParkedEvent event) {
        Document document = new Document("projection", projection)
            .append("aggregateKey", event.aggregateKey())
            .append("error", event.error())
            .append("stack", event.stack())
            .append("attempts", event.attempts())
            .append("topic", event.topic())
            .append("partition", event.partition())
            .append("offset", event.offset())
            .append("rawValue", event.rawValue())
            .append("parkedAt", Date.from(event.parkedAt()));
        if (event.event() != null) {
            Event e = event.event();
            document.append("event", new Document("eventId", e.eventId()).append("aggregateType", e.aggregateType())
                .append("aggregateId", e.aggregateId()).append("version", e.version()).append("eventType", e.eventType())
                .append("timestamp", Date.from(e.timestamp())).append("payload", Document.parse(e.payloadJson()))
                .append("correlationId", e.metadata().correlationId())
                .append("causationId", e.metadata().causationId())
                .append("versionRule", e.versionRule().wireName()));
        }
        try {
            parked.insertOne(document);
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                throw e;
            }
            // already parked (the record was delivered again)
        }
    }

    @Override
    public Set<String> parkedAggregates(String projection) {
        Set<String> keys = new LinkedHashSet<>();
        parked.distinct("aggregateKey", eq("projection", projection), String.class).into(keys);
        return keys;
    }

    @Override
    public List<ParkedEvent> parked(String projection, String aggregateKey) {
        List<ParkedEvent> events = new ArrayList<>();
        for (Document document : parked.find(and(eq("projection", projection), eq("aggregateKey", aggregateKey)))
            .sort(Sorts.ascending("offset"))) {
            events.add(toParked(document));
        }
        return events;
    }

    @Override
    public void remove(String projection, ParkedEvent event) {
        parked.deleteOne(new Document("projection", projection).append("topic", event.topic())
            .append("partition", event.partition()).append("offset", event.offset()));
    }

    @Override
    public void request(String projection, String aggregateKey, Request request) {
        if (parked.countDocuments(and(eq("projection", projection), eq("aggregateKey", aggregateKey))) == 0) {
            throw new NothingParked(projection, aggregateKey, projections());
        }
        requests.insertOne(new Document("projection", projection).append("aggregateKey", aggregateKey)
            .append("request", request.name()).append("requestedAt", new Date()).append("done", false));
    }

    @Override
    public Set<String> projections() {
        Set<String> names = new LinkedHashSet<>();
        parked.distinct("projection", String.class).into(names);
        return names;
    }

    @Override
    public List<PendingRequest> pendingRequests(String projection) {
        List<PendingRequest> pending = new ArrayList<>();
        for (Document document : requests.find(and(eq("projection", projection), eq("done", false)))
            .sort(Sorts.ascending("_id"))) {
            pending.add(new PendingRequest(document.getObjectId("_id").toHexString(), document.getString("aggregateKey"),
                Request.valueOf(document.getString("request")), document.getDate("requestedAt").toInstant()));
        }
        return pending;
    }

    @Override
    public void complete(String projection, PendingRequest request, String result) {
        requests.updateOne(eq("_id", new ObjectId(request.id())),
            Updates.combine(Updates.set("done", true), Updates.set("result", result),
                Updates.set("completedAt", new Date())));
    }

    private static ParkedEvent toParked(Document document) {
        Event event = null;
        if (document.get("event") instanceof Document e) {
            event = new Event(e.getString("eventId"), e.getString("aggregateType"), e.getString("aggregateId"),
                ((Number) e.get("version")).longValue(), e.getString("eventType"), e.getDate("timestamp").toInstant(),
                e.get("payload", Document.class).toJson(RELAXED),
                new EventMetadata(e.getString("correlationId"), e.getString("causationId")),
                VersionRule.fromWireName(e.getString("versionRule") == null ? VersionRule.CONTIGUOUS.wireName()
                    : e.getString("versionRule")));
        }
        return new ParkedEvent(document.getString("aggregateKey"), event, document.getString("error"),
            document.getString("stack"), document.getInteger("attempts", 0), document.getString("topic"),
            document.getInteger("partition", 0), ((Number) document.get("offset")).longValue(),
            document.getString("rawValue"), document.getDate("parkedAt").toInstant());
    }

}
