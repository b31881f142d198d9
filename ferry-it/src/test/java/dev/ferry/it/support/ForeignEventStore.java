package dev.ferry.it.support;

import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.types.ObjectId;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Sorts;

import dev.ferry.core.event.Event;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.mongodb.mapping.EventMapping;
import dev.ferry.mongodb.mapping.MappedEvents;
import dev.ferry.mongodb.mapping.UnmappableDocument;

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

    /** The events the store holds, as {@code mapping} reads them; documents it cannot map are left out. */
    public static List<Event> mapped(MongoCollection<Document> collection, EventMapping mapping, TopicNaming topics) {
        MappedEvents events = new MappedEvents(mapping, topics);
        List<Event> mapped = new ArrayList<>();
        for (BsonDocument document : collection.withDocumentClass(BsonDocument.class).find()) {
            try {
                mapped.add(events.read(document));
            } catch (UnmappableDocument skipped) {
                // dead-lettered, checked apart
            }
        }
        return mapped;
    }
}
