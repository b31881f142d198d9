package dev.ferry.mongodb.changestream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.bson.BsonDocument;
import org.bson.Document;
import org.bson.RawBsonDocument;
import org.bson.conversions.Bson;

import com.mongodb.MongoNamespace;
import com.mongodb.client.ChangeStreamIterable;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.store.RelaxedJson;

/**
 * A change event too large for MongoDB to return ({@link ChangeStreamTail.EventTooLarge}), known by what identifies
 * it. Its record would be far over any broker's record size anyway, so its content is never needed: the same stream
 * without the update lookup and pre-images, and with the large fields projected away, returns it small, with the
 * resume token to go on after it and the key of its document to dead-letter it by. This works on every server
 * version; {@code $changeStreamSplitLargeEvent} (6.0.9+) would only spare the failed read, and would carry the whole
 * event in fragments instead.
 *
 * @param namespace   the changed collection (null if the event names none)
 * @param documentKey the changed document's key (null if the event names none)
 */
record OversizedEvent(ResumeToken token, String operationType, MongoNamespace namespace, BsonDocument documentKey) {

    /** The fields that make an event large: the document after the change, the one before it, the update's values. */
    private static final Bson WITHOUT_LARGE_FIELDS = new Document("$project", new Document("fullDocument", 0)
        .append("fullDocumentBeforeChange", 0).append("updateDescription", 0));
    /** The event is in the oplog: a stream opened before it returns it at once; this bounds a server that does not. */
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    /** The stream's stages, then one leaving out the large fields. */
    static List<Bson> identifying(List<Bson> pipeline) {
        List<Bson> stages = new ArrayList<>(pipeline);
        stages.add(WITHOUT_LARGE_FIELDS);
        return stages;
    }

    /**
     * The event just after {@code standing}.
     *
     * @param identifying the stream with {@link #identifying} stages and neither update lookup nor pre-images
     */
    static OversizedEvent after(ChangeStreamIterable<RawBsonDocument> identifying, StartPosition standing,
                                ChangeStreamTail.Settings settings) {
        try (ChangeStreamTail tail = ChangeStreamTail.open(identifying, standing, settings.oneEventAtATime(), true)) {
            long deadline = System.nanoTime() + PATIENCE.toNanos();
            while (System.nanoTime() - deadline < 0) {
                List<ChangeStreamDocument<RawBsonDocument>> next = tail.poll();
                if (!next.isEmpty()) {
                    ChangeStreamDocument<RawBsonDocument> event = next.get(0);
                    return new OversizedEvent(new ResumeToken(RelaxedJson.of(event.getResumeToken())),
                        event.getOperationTypeString(), event.getNamespace(), event.getDocumentKey());
                }
            }
        }
        throw new IllegalStateException("MongoDB failed to return the change event after " + standing + " as too "
            + "large, but did not return it within " + PATIENCE.toSeconds() + " s without its large fields either");
    }

    /** Its dead letter: the document's key, and why. */
    Change.Refused deadLetter(String serverMessage) {
        return new Change.Refused(token, key(), "change event over 16 MB: " + describe() + " is, with the document "
            + "the stream adds to it (update lookup, pre-image) and the update's description, larger than MongoDB can "
            + "return in a change stream (" + serverMessage + "); not published", Change.Refused.Cause.OVERSIZED);
    }

    /** Which change it is: its operation, collection and document. */
    String describe() {
        return "the " + operationType + " of " + (namespace == null ? "an unnamed collection" : namespace.getFullName())
            + " " + key();
    }

    private String key() {
        return documentKey == null ? "{}" : RelaxedJson.of(documentKey);
    }
}
