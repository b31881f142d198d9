package dev.ferry.mongodb.changestream;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

import org.bson.BsonDocument;
import org.bson.BsonTimestamp;
import org.bson.RawBsonDocument;
import org.bson.conversions.Bson;

import com.mongodb.MongoCommandException;
import com.mongodb.MongoException;
import com.mongodb.client.ChangeStreamIterable;
import com.mongodb.client.MongoChangeStreamCursor;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoCursor;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.relay.spi.HistoryLost;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * Tails a change stream (of a collection, a database or the cluster) in batches, through the official driver only. The
 * server waits up to {@code serverAwait} in each getMore for changes, so a quiet stream costs a read every half second;
 * an empty read the server answered without waiting is followed by a short, growing idle wait ({@link IdleBackoff}).
 * Not thread-safe: one tail belongs to one reading thread.
 */
public final class ChangeStreamTail implements AutoCloseable {

    /** MongoDB's code for a resume point that has left the oplog window. */
    static final int CHANGE_STREAM_HISTORY_LOST = 286;
    /** MongoDB's code for a document too large to serialize: in a change stream, an event over 16 MB. */
    static final int BSON_OBJECT_TOO_LARGE = 10334;

    private final MongoChangeStreamCursor<ChangeStreamDocument<RawBsonDocument>> cursor;
    private final IdleBackoff backoff;
    private final int maxBatch;
    /** How long the server is asked to wait for changes in a getMore. */
    private final long awaitedNanos;
    /** Where the stream was opened: where it stands until the cursor holds a token. */
    private final StartPosition opened;

    private ChangeStreamTail(MongoChangeStreamCursor<ChangeStreamDocument<RawBsonDocument>> cursor,
                             IdleBackoff backoff, int maxBatch, Duration serverAwait, StartPosition opened) {
        this.cursor = cursor;
        this.backoff = backoff;
        this.maxBatch = maxBatch;
        this.awaitedNanos = serverAwait.toNanos();
        this.opened = opened;
    }

    /**
     * Opens the change stream.
     *
     * @param pipeline stages after {@code $changeStream}, e.g. a {@code $match} on the operation type
     * @throws HistoryLost   if the start position is no longer in the oplog
     * @throws EventTooLarge if the first batch holds an event the server cannot return
     */
    public static ChangeStreamTail open(MongoCollection<RawBsonDocument> collection, List<? extends Bson> pipeline,
                                        StartPosition start, Settings settings) {
        return open(decodedInOnePass(collection).watch(pipeline, RawBsonDocument.class), start, settings, true);
    }

    /** {@code collection} with its change events decoded by {@link ChangeEventCodec}: see {@link #open(ChangeStreamIterable, StartPosition, Settings, boolean)}. */
    static <T> MongoCollection<T> decodedInOnePass(MongoCollection<T> collection) {
        return collection.withCodecRegistry(ChangeEventCodec.registry(collection.getCodecRegistry()));
    }

    /**
     * Opens a change stream of any scope: a collection's, a database's ({@code MongoDatabase.watch}) or the
     * cluster's ({@code MongoClient.watch}).
     *
     * @throws HistoryLost   if the start position is no longer in the oplog
     * @throws EventTooLarge if the first batch holds an event the server cannot return
     */
    public static ChangeStreamTail open(ChangeStreamIterable<RawBsonDocument> watched, StartPosition start,
                                        Settings settings) {
        return open(watched, start, settings, false);
    }

    /**
     * @param onePass whether {@code watched} comes from a collection, database or client whose codec registry has
     *                {@link ChangeEventCodec} ({@link #decodedInOnePass}): its events are then decoded by it, not by the
     *                driver's POJO codec
     */
    static ChangeStreamTail open(ChangeStreamIterable<RawBsonDocument> watched, StartPosition start,
                                 Settings settings, boolean onePass) {
        ChangeStreamIterable<RawBsonDocument> stream = watched
            .batchSize(settings.maxBatch())
            .maxAwaitTime(settings.serverAwait().toMillis(), TimeUnit.MILLISECONDS);
        if (start instanceof StartPosition.AfterToken after) {
            stream = stream.startAfter(BsonDocument.parse(after.token().value()));
        } else if (start instanceof StartPosition.AtTime at) {
            stream = stream.startAtOperationTime(operationTime(at.time()));
        } else if (start instanceof StartPosition.Earliest) {
            throw new IllegalArgumentException("a change stream has no earliest position to open at; the relay copies "
                + "every source, then opens the stream at the position it noted before the copy");
        }
        try {
            return new ChangeStreamTail(onePass ? onePassCursor(stream) : stream.cursor(), new IdleBackoff(settings.idleMin(), settings.idleMax()),
                settings.maxBatch(), settings.serverAwait(), start);
        } catch (MongoException e) {
            throw translate(e, start, start, settings.maxBatch());
        }
    }

    /**
     * The stream's cursor with events decoded by the registry's {@link ChangeEventCodec}: the driver's change stream
     * cursor whatever the document class (it keeps the resume token); if a driver ever returns another kind, that one
     * is closed and the stream read as usual.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private static MongoChangeStreamCursor<ChangeStreamDocument<RawBsonDocument>> onePassCursor(
        ChangeStreamIterable<RawBsonDocument> stream) {
        MongoCursor<ChangeStreamDocument> cursor = stream.withDocumentClass(ChangeStreamDocument.class).cursor();
        if (cursor instanceof MongoChangeStreamCursor changeStream) {
            return changeStream;
        }
        cursor.close();
        return stream.cursor();
    }

    /**
     * The next changes, at most {@code maxBatch}; an empty list after an idle wait when there are none.
     *
     * @throws HistoryLost   if the stream fell out of the oplog window while reading
     * @throws EventTooLarge if the next batch holds an event the server cannot return
     */
    public List<ChangeStreamDocument<RawBsonDocument>> poll() {
        try {
            long asked = System.nanoTime();
            ChangeStreamDocument<RawBsonDocument> first = cursor.tryNext();
            if (first == null) {
                if (cursor.getServerCursor() == null) {
                    // The server closed the stream after an invalidate (which an operation-type $match filters out):
                    // from here on it would return nothing, silently. The resume token is now the invalidate's.
                    throw new StreamClosed();
                }
                if (System.nanoTime() - asked < awaitedNanos / 2) {
                    // The server answered without waiting for changes (the driver's buffer was empty, or a server
                    // that does not honour maxAwaitTime): wait here instead of polling it in a loop.
                    backoff.idle();
                } else {
                    backoff.reset(); // the server waited for changes: ask again at once
                }
                return List.of();
            }
            backoff.reset();
            List<ChangeStreamDocument<RawBsonDocument>> batch = new ArrayList<>();
            batch.add(first);
            // Take what the driver already holds; another tryNext would cost a round trip.
            while (batch.size() < maxBatch && cursor.available() > 0) {
                batch.add(cursor.tryNext());
            }
            return batch;
        } catch (MongoException e) {
            ResumeToken token = resumeToken();
            throw translate(e, null, token == null ? opened : new StartPosition.AfterToken(token), maxBatch);
        }
    }

    /**
     * The token to resume after everything returned so far: on a real server the post-batch token, which
     * moves on even while the collection is quiet, so a checkpoint never falls out of the oplog window.
     */
    public ResumeToken resumeToken() {
        BsonDocument token = cursor.getResumeToken();
        return token == null ? null : new ResumeToken(RelaxedJson.of(token));
    }

    @Override
    public void close() {
        cursor.close();
    }

    private static BsonTimestamp operationTime(Instant time) {
        return new BsonTimestamp((int) time.getEpochSecond(), 0);
    }

    /**
     * @param start    where the stream was being opened; null for a read
     * @param standing where the stream stood when it failed
     */
    private static RuntimeException translate(MongoException e, StartPosition start, StartPosition standing,
                                              int batchSize) {
        int code = e instanceof MongoCommandException command ? command.getErrorCode() : 0;
        if (code == CHANGE_STREAM_HISTORY_LOST) {
            return new HistoryLost("the change stream cannot resume" + (start == null ? "" : " from " + start)
                + ": MongoDB no longer holds that point in its oplog (error 286, ChangeStreamHistoryLost)", e);
        }
        // "Now" has moved on by the time anyone reopens there: no stream can find that event again.
        if (code == BSON_OBJECT_TOO_LARGE && !(standing instanceof StartPosition.Now)) {
            return new EventTooLarge(standing, batchSize == 1, (MongoCommandException) e);
        }
        return e;
    }

    /** The server closed the change stream: its collection was dropped or renamed, or its database dropped. */
    public static final class StreamClosed extends RuntimeException {
        StreamClosed() {
            super("the server closed the change stream (its collection was dropped or renamed, or its database "
                + "dropped)");
        }
    }

    /**
     * A change event the server cannot return: over 16 MB with what the stream adds to the change (the document an
     * update looks up, the document before the change, the update's description), it fails the read (error 10334,
     * BSONObjectTooLarge), the events before it in the same batch with it, and fails every read from the same point
     * again: retrying cannot get past it.
     */
    public static final class EventTooLarge extends RuntimeException {

        private final transient StartPosition standing;
        private final boolean nextEvent;
        private final String serverMessage;

        EventTooLarge(StartPosition standing, boolean nextEvent, MongoCommandException cause) {
            super("a change event after " + standing + " is too large for MongoDB to return in a change stream (error "
                + "10334, BSONObjectTooLarge)" + (nextEvent ? "" : ", in a batch of several"), cause);
            this.standing = standing;
            this.nextEvent = nextEvent;
            this.serverMessage = cause.getErrorMessage();
        }

        /** Where the stream stood: the event is among the next ones after it. */
        public StartPosition standing() {
            return standing;
        }

        /** Whether it is the very next event after {@link #standing()}: the failed read asked for one event only. */
        public boolean isNextEvent() {
            return nextEvent;
        }

        /** The server's own words (the event's size, its resume token). */
        public String serverMessage() {
            return serverMessage;
        }
    }

    /**
     * How a tail reads.
     *
     * @param maxBatch    most changes returned by one poll
     * @param serverAwait how long the server's getMore may wait for new changes (its maxAwaitTime)
     * @param idleMin     first wait after an empty read the server answered without waiting
     * @param idleMax     longest wait after consecutive such reads (bounds the added latency)
     */
    public record Settings(int maxBatch, Duration serverAwait, Duration idleMin, Duration idleMax) {

        /**
         * A quiet stream costs two reads a second (the server waits 0.5 s in each). The idle cap of 25 ms bounds a
         * server that answers at once to about 40 empty reads a second; it is reached only after ~30 ms of such
         * reads, so a busy stream never waits it.
         */
        public static final Settings DEFAULT =
            new Settings(1000, Duration.ofMillis(500), Duration.ofMillis(1), Duration.ofMillis(25));

        public Settings {
            Objects.requireNonNull(serverAwait, "serverAwait");
            Objects.requireNonNull(idleMin, "idleMin");
            Objects.requireNonNull(idleMax, "idleMax");
            if (maxBatch < 1) {
                throw new IllegalArgumentException("maxBatch must be at least 1, was " + maxBatch);
            }
        }

        /** These settings, each read asking for one event. */
        public Settings oneEventAtATime() {
            return new Settings(1, serverAwait, idleMin, idleMax);
        }
    }
}
