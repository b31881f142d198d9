package dev.ferry.benchmark.raw;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.bson.BsonValue;
import org.bson.Document;
import org.bson.RawBsonDocument;

import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;
import com.mongodb.client.model.changestream.FullDocument;

/**
 * The ceiling of entity replication, made of plain clients: a change stream on the source collection (the Java
 * driver, {@code fullDocument: updateLookup} as Ferry's relay reads it) → the broker ({@link RawChannel}, key = id) →
 * a consumer per replica → per poll, each id's latest change written in one round trip ({@link RawReplica}). One id's
 * changes stay in order: one partition per key, one poll written before the next is read. None of Ferry's leases,
 * checkpoints, lanes, retries, parking or dead letters.
 * <p>
 * The changes are those the benchmark wrote: ids starting with {@code idPrefix}, from {@code since} on; the pipeline
 * reads {@code changes} of them and ends when every replica handled that many. As in Ferry's catch-up, each replica's
 * rate counts from the moment a replica first handled {@value #WINDOW_OPENS_AT} of the changes (opening the change
 * stream and the first fetches are no more catch-up work here than the released relay's lease is in Ferry's).
 */
final class RawReplicationPipeline {

    private static final long LIMIT_MINUTES = 10;
    static final double WINDOW_OPENS_AT = 0.01;

    /** A replica's catch-up: the changes it handled after the window opened, and when it had them all (nanoTime). */
    record Caught(long opened, long handledAtOpen, long done) {
        double perSecond(long changes) {
            return (changes - handledAtOpen) / ((done - opened) / 1e9);
        }
    }

    private final MongoCollection<RawBsonDocument> source;
    private final String idPrefix;
    private final Instant since;
    private final int changes;
    private final RawChannel channel;
    private final Map<String, RawReplica> replicas;
    private final Map<String, RawChannel.Consumer> consumers = new LinkedHashMap<>();
    private final Map<String, AtomicLong> handled = new LinkedHashMap<>();
    private final AtomicLong opened = new AtomicLong();
    private final Map<String, Long> handledAtOpen = new ConcurrentHashMap<>();

    /** Subscribes a consumer per replica: connected and assigned before the window opens, as Ferry's processes are. */
    RawReplicationPipeline(MongoCollection<RawBsonDocument> source, String idPrefix, Instant since, int changes,
                           RawChannel channel, Map<String, RawReplica> replicas) throws Exception {
        this.source = source;
        this.idPrefix = idPrefix;
        this.since = since;
        this.changes = changes;
        this.channel = channel;
        this.replicas = replicas;
        for (String replica : replicas.keySet()) {
            consumers.put(replica, channel.consumer(replica));
            handled.put(replica, new AtomicLong());
        }
    }

    /** Runs the pipeline to its end; returns each replica's catch-up. */
    Map<String, Caught> run() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(1 + replicas.size());
        try {
            Future<?> relaying = threads.submit(() -> {
                relay();
                return null;
            });
            Map<String, Future<Long>> applying = new LinkedHashMap<>();
            for (Map.Entry<String, RawReplica> replica : replicas.entrySet()) {
                RawChannel.Consumer consumer = consumers.get(replica.getKey());
                applying.put(replica.getKey(), threads.submit(() -> apply(consumer, replica.getValue(),
                    handled.get(replica.getKey()))));
            }
            relaying.get(LIMIT_MINUTES, TimeUnit.MINUTES);
            Map<String, Caught> caught = new LinkedHashMap<>();
            for (Map.Entry<String, Future<Long>> replica : applying.entrySet()) {
                long done = replica.getValue().get(LIMIT_MINUTES, TimeUnit.MINUTES);
                caught.put(replica.getKey(), new Caught(opened.get(), handledAtOpen.get(replica.getKey()), done));
            }
            return caught;
        } finally {
            threads.shutdownNow();
            consumers.values().forEach(RawChannel.Consumer::close);
        }
    }

    /** Change stream → broker: every change of the benchmark's ids, keyed by id, then a flush. */
    private void relay() throws Exception {
        List<Document> pipeline = List.of(new Document("$match", new Document("documentKey._id",
            new Document("$gte", idPrefix).append("$lt", idPrefix + "~"))
            .append("operationType", new Document("$in", List.of("insert", "update", "replace", "delete")))));
        long read = 0;
        try (MongoChangeStreamCursor<ChangeStreamDocument<RawBsonDocument>> cursor = source.watch(pipeline)
            .fullDocument(FullDocument.UPDATE_LOOKUP)
            // As Ferry's relay reads (ChangeStreamTail.Settings.DEFAULT): up to 1,000 changes a batch, the server
            // waiting up to 0.5 s for more; a real MongoDB's own default first batch is 101.
            .batchSize(RawBaselines.MAX_POLL_RECORDS).maxAwaitTime(500, TimeUnit.MILLISECONDS)
            .startAtOperationTime(new BsonTimestamp((int) since.getEpochSecond(), 0)).cursor()) {
            while (read < changes) {
                ChangeStreamDocument<RawBsonDocument> change = cursor.next();
                BsonValue id = change.getDocumentKey().get("_id");
                boolean deleted = "delete".equals(change.getOperationTypeString());
                BsonDocument document = deleted ? null : change.getFullDocument();
                RawChange raw = new RawChange(RawChange.key(id), id, RawChange.version(change.getClusterTime()),
                    document, deleted);
                channel.publish(raw.key(), raw.encode());
                read++;
            }
        }
        channel.flush();
    }

    /** Broker → replica: per poll, each id's latest change in one write; returns when all were handled. */
    private long apply(RawChannel.Consumer consumer, RawReplica replica, AtomicLong counter) throws Exception {
        long opensAt = Math.max(1, (long) (changes * WINDOW_OPENS_AT));
        long handled = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(LIMIT_MINUTES);
        while (handled < changes) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the raw replica handled " + handled + " of " + changes + " changes");
            }
            List<RawChange> poll = consumer.poll();
            if (poll.isEmpty()) {
                continue;
            }
            replica.write(RawReplica.latestPerId(poll));
            consumer.acknowledge();
            handled += poll.size();
            counter.set(handled);
            if (handled >= opensAt && opened.get() == 0 && opened.compareAndSet(0, System.nanoTime())) {
                this.handled.forEach((name, count) -> handledAtOpen.put(name, count.get()));
            }
        }
        return System.nanoTime();
    }
}
