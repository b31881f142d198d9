package dev.ferry.mongodb.store;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

import org.bson.BsonDocument;
import org.bson.Document;

import com.mongodb.ErrorCategory;
import com.mongodb.MongoWriteException;
import com.mongodb.WriteConcern;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.IndexOptions;
import com.mongodb.client.model.Indexes;
import com.mongodb.client.model.Projections;
import com.mongodb.client.model.Sorts;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.store.ConcurrencyConflict;
import dev.ferry.core.store.EventStore;
import dev.ferry.core.store.EventTooLarge;
import dev.ferry.core.wire.EventJson;

/**
 * The event store on MongoDB, atomic without transactions: an append is one insert of one commit document.
 * The unique index on (aggregateType, aggregateId, firstVersion) lets only one of two racing appends with the
 * same expected version in; an append must also continue exactly where the last commit ended, so versions stay
 * contiguous.
 */
public final class MongoEventStore implements EventStore {

    /** Kafka's default record limit (and Azure Event Hubs'), less room for key, headers and batch overhead. */
    public static final int DEFAULT_MAX_EVENT_BYTES = 1_000_000;

    private final MongoCollection<Document> commits;
    private final MongoCollection<BsonDocument> rawCommits;
    private final TopicNaming topicNaming;
    private final int maxEventBytes;

    public MongoEventStore(MongoDatabase database, String collection, TopicNaming topicNaming, int maxEventBytes) {
        this.commits = database.getCollection(collection).withWriteConcern(WriteConcern.MAJORITY);
        this.rawCommits = database.getCollection(collection, BsonDocument.class);
        this.topicNaming = Objects.requireNonNull(topicNaming, "topicNaming");
        this.maxEventBytes = maxEventBytes;
    }

    /** Creates the indexes the store's guarantees rest on; idempotent. */
    public MongoEventStore createIndexes() {
        createIndexes(commits);
        return this;
    }

    /**
     * Creates the indexes of a collection of commits, idempotently: the unique (aggregateType, aggregateId,
     * firstVersion) that appends race on and a copy reads through, and its lastVersion twin.
     */
    public static void createIndexes(MongoCollection<?> commits) {
        commits.createIndex(Indexes.ascending(CommitDocuments.AGGREGATE_TYPE, CommitDocuments.AGGREGATE_ID,
            CommitDocuments.FIRST_VERSION), new IndexOptions().unique(true).name("aggregate_first_version"));
        commits.createIndex(Indexes.ascending(CommitDocuments.AGGREGATE_TYPE, CommitDocuments.AGGREGATE_ID,
            CommitDocuments.LAST_VERSION), new IndexOptions().unique(true).name("aggregate_last_version"));
    }

    @Override
    public List<Event> append(String aggregateType, String aggregateId, long expectedVersion, List<NewEvent> newEvents) {
        topicNaming.checkAggregateType(aggregateType);
        if (aggregateType.length() > CommitDocuments.AGGREGATE_TYPE_MAX_LENGTH) {
            // A shorter prefix leaves room in the topic name, but the relay reads commits by the contract: it would
            // dead-letter every commit stored under this type.
            throw new IllegalArgumentException("aggregate type '" + aggregateType + "' is " + aggregateType.length()
                + " characters, over the commit contract's " + CommitDocuments.AGGREGATE_TYPE_MAX_LENGTH);
        }
        if (aggregateId == null || aggregateId.isBlank()) {
            throw new IllegalArgumentException("aggregateId must not be blank");
        }
        if (expectedVersion < 0) {
            throw new IllegalArgumentException("expectedVersion must be 0 (new aggregate) or more, was " + expectedVersion);
        }
        if (newEvents == null || newEvents.isEmpty()) {
            throw new IllegalArgumentException("an append needs at least one event");
        }
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        List<Event> events = new ArrayList<>(newEvents.size());
        for (NewEvent newEvent : newEvents) {
            Event event = new Event(UUID.randomUUID().toString(), aggregateType, aggregateId,
                expectedVersion + events.size() + 1, newEvent.eventType(), now, newEvent.payloadJson(), newEvent.metadata());
            int bytes = EventJson.encode(event).getBytes(StandardCharsets.UTF_8).length;
            if (bytes > maxEventBytes) {
                throw new EventTooLarge(event.eventType(), aggregateId, bytes, maxEventBytes);
            }
            events.add(event);
        }
        Document commit = CommitDocuments.encode(events);
        if (expectedVersion > 0 && !commitEndsAt(aggregateType, aggregateId, expectedVersion)) {
            throw new ConcurrencyConflict(aggregateType, aggregateId, expectedVersion, events.size());
        }
        try {
            commits.insertOne(commit);
        } catch (MongoWriteException e) {
            if (e.getError().getCategory() == ErrorCategory.DUPLICATE_KEY) {
                throw new ConcurrencyConflict(aggregateType, aggregateId, expectedVersion, events.size());
            }
            throw e;
        }
        return List.copyOf(events);
    }

    @Override
    public List<Event> read(String aggregateType, String aggregateId) {
        List<Event> events = new ArrayList<>();
        // A plain equality document (not $and): the index's prefix, which the embedded server answers from it too.
        Document filter = new Document(CommitDocuments.AGGREGATE_TYPE, aggregateType)
            .append(CommitDocuments.AGGREGATE_ID, aggregateId);
        for (BsonDocument commit : rawCommits.find(filter).sort(Sorts.ascending(CommitDocuments.FIRST_VERSION))) {
            events.addAll(CommitDocuments.decode(commit));
        }
        return events;
    }

    /**
     * When the oldest commit still in the store was appended (by the appending host's clock), if any: a relay told
     * to start from the beginning starts there.
     */
    public Optional<Instant> firstCommitTime() {
        Document first = commits.find().sort(Sorts.ascending("_id")).limit(1)
            .projection(Projections.include("committedAt")).first();
        return Optional.ofNullable(first).map(document -> document.getDate("committedAt").toInstant());
    }

    /** An append may only continue the aggregate exactly where its last commit ended. */
    private boolean commitEndsAt(String aggregateType, String aggregateId, long version) {
        // A plain equality document (not $and) is what both a real server and the embedded one answer from the index.
        Document filter = new Document(CommitDocuments.AGGREGATE_TYPE, aggregateType)
            .append(CommitDocuments.AGGREGATE_ID, aggregateId).append(CommitDocuments.LAST_VERSION, version);
        return commits.find(filter).projection(Projections.include("_id")).first() != null;
    }
}
