package dev.ferry.mongodb.changestream;

import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

import org.bson.RawBsonDocument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.mongodb.client.ChangeStreamIterable;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ChangeSource;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.relay.spi.StartPosition;

/**
 * A {@link MongoChangeSource}'s feed: its change stream, read in batches, reopened where the server ends it or cannot
 * go on.
 * <ul>
 *   <li>A dropped or renamed collection closes the stream at an invalidate: reopened just after it.</li>
 *   <li>A change event over 16 MB fails every read of it ({@link ChangeStreamTail.EventTooLarge}), and with it the
 *       events before it in the same batch: the stream is read again one event at a time until the failure is the
 *       very next event, which is then dead-lettered by its id ({@link OversizedEvent}), and the stream reopened just
 *       after it. Changes are never skipped, and nothing restarts or loops.</li>
 * </ul>
 * Neither costs an ordinary read anything. One reading thread.
 */
final class MongoChangeFeed implements ChangeSource.ChangeFeed {

    private static final Logger log = LoggerFactory.getLogger(MongoChangeFeed.class);

    private final Supplier<ChangeStreamIterable<RawBsonDocument>> stream;
    private final Supplier<ChangeStreamIterable<RawBsonDocument>> identifying;
    private final Function<List<ChangeStreamDocument<RawBsonDocument>>, List<Change>> reader;
    private final ChangeStreamTail.Settings settings;
    /** Null while {@link #tooLarge} stopped the stream from opening. */
    private ChangeStreamTail tail;
    /** An event too large to read, met and not yet passed. */
    private ChangeStreamTail.EventTooLarge tooLarge;
    /** Events still to read one at a time: the rest of a batch that failed whole, unless the failure comes first. */
    private int oneAtATimeLeft;

    /**
     * @param stream      the change stream, with its stages and options, of a source whose codec registry has
     *                    {@link ChangeEventCodec}
     * @param identifying the same stream with {@link OversizedEvent#identifying} stages, without lookup or images
     * @param reader      a batch's changes, in order
     * @throws dev.ferry.core.relay.spi.HistoryLost if the start position is no longer in the oplog
     */
    MongoChangeFeed(Supplier<ChangeStreamIterable<RawBsonDocument>> stream,
                    Supplier<ChangeStreamIterable<RawBsonDocument>> identifying,
                    Function<List<ChangeStreamDocument<RawBsonDocument>>, List<Change>> reader,
                    ChangeStreamTail.Settings settings, StartPosition start) {
        this.stream = stream;
        this.identifying = identifying;
        this.reader = reader;
        this.settings = settings;
        open(start, false);
    }

    @Override
    public List<Change> poll() {
        if (tooLarge != null) {
            return pastTooLarge();
        }
        List<ChangeStreamDocument<RawBsonDocument>> batch;
        try {
            batch = tail.poll();
        } catch (ChangeStreamTail.StreamClosed closed) {
            // A dropped or renamed collection closes the stream at an invalidate, after everything before it: reopen
            // just after it, so a re-created collection is relayed and nothing is skipped.
            ResumeToken after = tail.resumeToken();
            log.warn("{}; reopening after {}", closed.getMessage(), after);
            tail.close();
            open(new StartPosition.AfterToken(after), false);
            return List.of();
        } catch (ChangeStreamTail.EventTooLarge met) {
            tail.close();
            tail = null;
            tooLarge = met;
            return pastTooLarge();
        }
        List<Change> changes = reader.apply(batch);
        if (oneAtATimeLeft > 0 && (oneAtATimeLeft -= batch.size()) <= 0) {
            // The failed batch was read through without the failure: the event has shrunk since (an update lookup
            // reads the document as it is now). Back to whole batches.
            ResumeToken after = tail.resumeToken();
            tail.close();
            open(new StartPosition.AfterToken(after), false);
        }
        return changes;
    }

    /** One step past an event too large to read: narrow a failed batch down to it, or dead-letter it and go on. */
    private List<Change> pastTooLarge() {
        ChangeStreamTail.EventTooLarge met = tooLarge;
        tooLarge = null;
        if (!met.isNextEvent()) {
            log.warn("{}; reading on one event at a time to find it", met.getMessage());
            open(met.standing(), true);
            return List.of();
        }
        OversizedEvent event = OversizedEvent.after(identifying.get(), met.standing(), settings);
        log.warn("{}: {}; dead-lettered, reopening after it", met.getMessage(), event.describe());
        open(new StartPosition.AfterToken(event.token()), false);
        return List.of(event.deadLetter(met.serverMessage()));
    }

    private void open(StartPosition at, boolean oneAtATime) {
        oneAtATimeLeft = oneAtATime ? settings.maxBatch() : 0;
        try {
            tail = ChangeStreamTail.open(stream.get(), at, oneAtATime ? settings.oneEventAtATime() : settings, true);
        } catch (ChangeStreamTail.EventTooLarge met) {
            tail = null;
            tooLarge = met; // the next poll goes past it
        }
    }

    @Override
    public ResumeToken position() {
        if (tail != null) {
            return tail.resumeToken();
        }
        return tooLarge != null && tooLarge.standing() instanceof StartPosition.AfterToken after ? after.token() : null;
    }

    @Override
    public void close() {
        if (tail != null) {
            tail.close();
        }
    }
}
