package dev.ferry.nats.publish;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.PublishOptions;
import io.nats.client.impl.Headers;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.FerryRecord;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.core.relay.spi.RecordRefused;
import dev.ferry.core.wire.EventJson;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.core.wire.RecordEncoder;
import dev.ferry.core.wire.RecordEncoding;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.SubjectNaming;

/**
 * Publishes to JetStream for one leadership term, on a connection of its own: subject
 * {@code <stream>.<type>.<partition>}, value = the event or entity change as JSON (a tombstone: empty), the same
 * headers as on Kafka, {@code Nats-Msg-Id} = the record id (the stream drops a re-publication within its dedupe
 * window).
 * <p>
 * <b>Order when a publish fails midway.</b> Publishes are asynchronous, so a failed one could be followed by later
 * ones that succeed. Each publish therefore names the message id of the one before it
 * ({@code Nats-Expected-Last-Msg-Id}, stream-wide): the stream stores it only if that one is its last message (or
 * drops it as a duplicate, which the server checks first). Once one is missing, nothing after it can be stored; the
 * first failure also fails every later publish here, and the relay starts a new term from its checkpoint. This rests
 * on the relay being the stream's only publisher: one relay per stream. A term's first publish names nothing (it
 * cannot know what the last term left), which is safe because every term re-publishes the same sequence.
 */
final class NatsRecordPublisher implements RecordPublisher {

    private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
    /** The provenance, message-id and expectation headers added at sending, above the record's own headers. */
    private static final int HEADER_OVERHEAD_BYTES = 512;

    private final Connection connection;
    private final JetStream jetStream;
    private final SubjectNaming subjects;
    private final Semaphore outstanding;
    private final int maxOutstanding;
    private final Duration publishTimeout;
    private String lastMessageId;
    /** Encodes each record's value once into a reused buffer (one relay thread at a time, as the whole publisher). */
    private final RecordEncoder encoder = RecordEncoding.encoder();
    private final HeaderSink headerSink = new HeaderSink();
    private volatile Throwable failure;

    NatsRecordPublisher(Connection connection, NatsSettings settings, Duration publishTimeout) {
        this.connection = connection;
        this.subjects = settings.subjects();
        this.maxOutstanding = settings.maxOutstanding();
        this.outstanding = new Semaphore(maxOutstanding);
        this.publishTimeout = publishTimeout;
        try {
            this.jetStream = connection.jetStream();
        } catch (java.io.IOException e) {
            throw new IllegalStateException("NATS JetStream unavailable: " + e.getMessage(), e);
        }
    }

    @Override
    public Prepared prepare(FerryRecord record) {
        String subject;
        try {
            subject = subjects.subjectForKey(record.type(), record.key());
        } catch (IllegalArgumentException e) {
            throw new RecordRefused((record instanceof Event ? "aggregateType: " : "entity: ") + e.getMessage(), false);
        }
        if (subject.startsWith(subjects.deadLetter() + ".")) {
            throw new RecordRefused((record instanceof Event ? "aggregateType" : "entity") + " '" + record.type()
                + "' is reserved: it names the dead-letter subject", false);
        }
        Headers headers = new Headers();
        byte[] value;
        try {
            headerSink.headers = headers;
            value = encoder.encode(record, headerSink);
        } catch (IllegalArgumentException e) {
            // NATS headers take printable ASCII only: a type, id or key with other characters cannot be carried.
            throw new RecordRefused("a header of " + record.type() + " " + record.key() + " cannot be carried by NATS: "
                + e.getMessage(), false);
        }
        if (value == null) {
            value = new byte[0]; // no compaction in JetStream; the tombstone still tells a consumer the key is gone
        }
        long size = HEADER_OVERHEAD_BYTES + headers.serializedLength() + value.length;
        long maxPayload = connection.getServerInfo() == null ? 0 : connection.getServerInfo().getMaxPayload();
        if (maxPayload > 0 && size > maxPayload) {
            throw new RecordRefused("the message of " + record.type() + " " + record.key() + " would be " + size
                + " bytes, over the server's max_payload of " + maxPayload, true);
        }
        return new Outgoing(record, subject, headers, value);
    }

    @Override
    public CompletableFuture<Void> publish(Prepared prepared, Provenance provenance) {
        Outgoing outgoing = (Outgoing) prepared;
        headerSink.headers = outgoing.headers();
        FerryHeaders.forProvenance(provenance, headerSink);
        try {
            return send(outgoing.subject(), outgoing.headers(), outgoing.value(), outgoing.record().recordId());
        } catch (RuntimeException e) {
            return failed(e);
        }
    }

    /** Puts headers into the message being prepared or sent: one sink for every message, not a method reference each. */
    private static final class HeaderSink implements java.util.function.BiConsumer<String, String> {
        Headers headers;

        @Override
        public void accept(String name, String value) {
            headers.put(name, value);
        }
    }

    /** A message as it will be sent, but for the provenance headers added at sending. */
    private record Outgoing(FerryRecord record, String subject, Headers headers, byte[] value) implements Prepared {
    }

    @Override
    public CompletableFuture<Void> publishDeadLetter(Change.Refused malformed, Provenance provenance) {
        Headers headers = new Headers();
        headers.put(FerryHeaders.FERRY_REASON, printableAscii(malformed.reason()));
        FerryHeaders.forProvenance(provenance, headers::put);
        String value = EventJson.deadLetter(malformed);
        // The resume token names the document's change, the same in every term.
        return send(subjects.deadLetter(), headers, value.getBytes(UTF_8), "dead-letter:" + malformed.token().value());
    }

    /**
     * A header value NATS accepts (printable ASCII): the reason quotes the document, which may hold any character; the
     * value's JSON keeps the reason whole.
     */
    static String printableAscii(String text) {
        StringBuilder ascii = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            if (c >= 0x20 && c < 0x7f) {
                ascii.append((char) c);
            } else {
                ascii.append(c <= 0xffff ? String.format("\\u%04x", c) : String.format("\\U%08x", c));
            }
        });
        return ascii.toString();
    }

    /** Called by the relay's one worker thread, so the chain of expected ids follows the order of the calls. */
    private CompletableFuture<Void> send(String subject, Headers headers, byte[] value, String messageId) {
        if (failure != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("an earlier publish of this term failed",
                failure));
        }
        PublishOptions.Builder options = PublishOptions.builder().messageId(messageId).expectedStream(subjects.stream())
            .streamTimeout(publishTimeout);
        if (lastMessageId != null) {
            options.expectedLastMsgId(lastMessageId);
        }
        try {
            if (!outstanding.tryAcquire(publishTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                return failed(new IllegalStateException(maxOutstanding + " publishes unacknowledged for "
                    + publishTimeout.toSeconds() + " s"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(e);
        }
        lastMessageId = messageId;
        CompletableFuture<Void> acked = new CompletableFuture<>();
        try {
            jetStream.publishAsync(subject, headers, value, options.build()).whenComplete((ack, error) -> {
                outstanding.release();
                if (error == null) {
                    acked.complete(null);
                } else {
                    failure = error;
                    acked.completeExceptionally(error);
                }
            });
        } catch (RuntimeException e) {
            outstanding.release();
            return failed(e);
        }
        return acked;
    }

    private CompletableFuture<Void> failed(Throwable error) {
        failure = error;
        return CompletableFuture.failedFuture(error);
    }

    /** Waits (bounded) for what is outstanding, then closes the connection. */
    @Override
    public void close() {
        try {
            if (outstanding.tryAcquire(maxOutstanding, CLOSE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                outstanding.release(maxOutstanding);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        abort();
    }

    /** Closes the connection at once: unacknowledged publishes may or may not be stored, in order. */
    @Override
    public void abort() {
        try {
            connection.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
