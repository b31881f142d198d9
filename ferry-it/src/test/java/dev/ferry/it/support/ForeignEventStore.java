package dev.ferry.it.support;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.Document;
import org.bson.types.ObjectId;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;

/**
 * An event store in a users' own schema, as their service writes it with the plain driver: one document per event,
 * {@code streamId: "patient-<n>"}, {@code revision} counting from 0 as an int32, optimistic concurrency through a
 * unique index on (streamId, revision).
 */
public final class ForeignEventStore {

    private final MongoCollection<Document> events;
    private final AtomicInteger n = new AtomicInteger();

    public ForeignEventStore(MongoCollection<Document> events) {
        this.events = events;
    }

    /** A writer of the users' own service: the next revision of a random stream, retried when another wrote it. */
    public void appendRandomly(int streams, int count) {
        for (int written = 0; written < count; ) {
            String stream = "patient-" + ThreadLocalRandom.current().nextInt(streams);
            Document last = events.find(new Document("streamId", stream)).sort(Sorts.descending("revision")).first();
            int revision = last == null ? 0 : last.getInteger("revision") + 1;
            try {
                events.insertOne(event(stream, revision, written));
                written++;
            } catch (MongoWriteException e) {
                if (e.getError().getCategory() != ErrorCategory.DUPLICATE_KEY) {
                    throw e;
                }
            }
        }
    }

    /** {@code revisions} events of each of {@code streams} streams, written in bulk, streams interleaved. */
    public void storeHistory(int streams, int revisions) {
        List<Document> batch = new ArrayList<>();
        for (int revision = 0; revision < revisions; revision++) {
            for (int stream = 0; stream < streams; stream++) {
                batch.add(event("patient-" + stream, revision, revision));
                if (batch.size() == 1_000) {
                    events.insertMany(batch);
                    batch.clear();
                }
            }
        }
        if (!batch.isEmpty()) {
            events.insertMany(batch);
        }
    }

    private Document event(String stream, int revision, int correlation) {
        return new Document("_id", new ObjectId()).append("streamId", stream).append("type", "Changed")
            .append("revision", revision).append("data", new Document("n", n.incrementAndGet()))
            .append("meta", new Document("correlationId", "c-" + correlation)).append("createdAt", new Date());
    }

    /**
     * The events the relay must publish for this store, written out by hand from its mapping (not by Ferry's mapper, so
     * that a mapper bug fails the test): {@code streamId: "patient-<id>"} gives type {@code patient} and id
     * {@code <id>}; {@code revision} r (from 0) gives version r + 1; {@code type} the event type; {@code _id} (an
     * ObjectId) the event id as hex; {@code createdAt} the timestamp; {@code data} the payload;
     * {@code meta.correlationId} the correlation id, no causation id.
     *
     * @param unmappable the {@code _id}s of documents written to be dead-lettered, left out
     */
    public static List<Event> expected(MongoCollection<Document> collection, Set<ObjectId> unmappable) {
        List<Event> expected = new ArrayList<>();
        for (Document document : collection.find()) {
            ObjectId id = document.getObjectId("_id");
            if (unmappable.contains(id)) {
                continue;
            }
            String stream = document.getString("streamId");
            if (!stream.startsWith("patient-")) {
                throw new IllegalStateException("not a document this store writes: " + document.toJson());
            }
            Document data = document.get("data", Document.class);
            expected.add(new Event(id.toHexString(), "patient", stream.substring("patient-".length()),
                document.getInteger("revision") + 1L, document.getString("type"),
                document.getDate("createdAt").toInstant(), data.toJson(),
                new EventMetadata(document.get("meta", Document.class).getString("correlationId"), null)));
        }
        return expected;
    }
}
