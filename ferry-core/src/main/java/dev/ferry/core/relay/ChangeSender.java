package dev.ferry.core.relay;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.relay.spi.ResumeToken;
import dev.ferry.core.wire.EntityJson;
import dev.ferry.core.wire.EventJson;

/**
 * Sends a change's records, whole, or its dead letter, and tracks the send with the term's {@link Acknowledgements}:
 * every record of a change is prepared before any is sent, so a change the transport cannot carry (or whose record
 * the broker refused for its content before a restart) is dead-lettered whole, naming the field and the rule, and
 * the relay goes on. Preparing does no I/O, so whatever fails there is the document's fault, never the broker's.
 */
final class ChangeSender {

    private static final Logger log = LoggerFactory.getLogger(ChangeSender.class);

    private final Term term;
    private final RecordPublisher publisher;
    private final Acknowledgements acks;

    ChangeSender(Term term, RecordPublisher publisher, Acknowledgements acks) {
        this.term = term;
        this.publisher = publisher;
        this.acks = acks;
    }

    /**
     * Sends {@code change}'s records, or its dead letter.
     *
     * @param token where acknowledging it puts the relay: the change's own, or where the relay already is
     */
    void send(Change change, ResumeToken token) {
        if (change instanceof Change.Refused malformed) {
            sendDeadLetter(malformed, token, change);
            return;
        }
        List<? extends FerryRecord> records = change.records();
        List<RecordPublisher.Prepared> prepared = new ArrayList<>(records.size());
        try {
            RecordRefused refused = term.refusals().of(change);
            if (refused != null) {
                throw refused;
            }
            for (FerryRecord record : records) {
                prepared.add(publisher.prepare(record));
            }
        } catch (RuntimeException e) {
            RecordRefused refused = e instanceof RecordRefused r ? r
                : new RecordRefused("cannot be made into a record: " + e, false, e);
            sendDeadLetter(uncarriable(token, records, refused), token, change);
            return;
        }
        List<CompletableFuture<Void>> sends = new ArrayList<>(prepared.size());
        long sequence = acks.sequence();
        for (RecordPublisher.Prepared record : prepared) {
            CompletableFuture<Void> sent = publisher.publish(record, term.provenance(++sequence));
            RecordRefused refused = sends.isEmpty() ? refusedAtOnce(sent) : null;
            if (refused != null) {
                // Refused before anything of the change was sent (a topic name the broker will not create): the
                // change's records all go to that topic, so it is dead-lettered whole, as if refused in prepare.
                sendDeadLetter(uncarriable(token, records, refused), token, change);
                return;
            }
            sends.add(sent);
        }
        acks.track(token, prepared.size(), sends.size() == 1 ? sends.get(0)
            : CompletableFuture.allOf(sends.toArray(new CompletableFuture[0])), null, change);
    }

    private void sendDeadLetter(Change.Refused malformed, ResumeToken token, Change change) {
        RecordRefused earlier = term.refusals().ofDeadLetter(change);
        if (earlier != null) {
            // The broker refused this dead letter itself: what is left is its reason and position, nothing quoted.
            malformed = new Change.Refused(malformed.token(), "{}", malformed.reason().substring(0,
                Math.min(500, malformed.reason().length())) + " [its dead letter with the document was refused by "
                + "the broker: " + earlier.getMessage() + "]", malformed.cause());
        }
        log.warn("relay {}: a change that cannot be published goes to the dead-letter topic: {}", term.relay(),
            malformed.reason());
        acks.track(token, 0, publisher.publishDeadLetter(malformed, term.provenance(acks.sequence())),
            malformed.cause(), change);
    }

    /** A future that failed at once because the transport refused its record, before sending; else null. */
    private static RecordRefused refusedAtOnce(CompletableFuture<Void> sent) {
        if (!sent.isCompletedExceptionally()) {
            return null;
        }
        try {
            sent.getNow(null);
            return null;
        } catch (CompletionException | CancellationException e) {
            return e.getCause() instanceof RecordRefused refused ? refused : null;
        }
    }

    /** The dead letter of a change that was read but that the transport cannot carry. */
    private static Change.Refused uncarriable(ResumeToken token, List<? extends FerryRecord> records,
                                                RecordRefused refused) {
        return new Change.Refused(token, describe(records), refused.getMessage(),
            refused.tooLarge() ? Change.Refused.Cause.OVERSIZED : Change.Refused.Cause.UNCARRIABLE);
    }

    /** A dead letter's document for a change that was read but cannot be carried: its records as they would be sent. */
    private static String describe(List<? extends FerryRecord> records) {
        StringBuilder json = new StringBuilder("{\"records\":[");
        for (FerryRecord record : records) {
            if (json.charAt(json.length() - 1) != '[') {
                json.append(',');
            }
            try {
                json.append(record instanceof Event event ? EventJson.encode(event)
                    : record instanceof EntityChange entity ? EntityJson.encode(entity)
                    : "{\"tombstone\":" + EventJson.quote(record.key()) + "}");
            } catch (RuntimeException e) {
                json.append("{\"type\":").append(EventJson.quote(record.type()))
                    .append(",\"key\":").append(EventJson.quote(record.key())).append('}');
            }
        }
        return json.append("]}").toString();
    }
}
