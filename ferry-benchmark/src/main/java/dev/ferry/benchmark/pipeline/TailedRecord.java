package dev.ferry.benchmark.pipeline;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A record of the pipeline's topic or stream as an outside observer ({@link PipelineTail}) sees it; times are
 * wall-clock milliseconds, -1 where the transport does not carry one.
 *
 * @param epoch      the lease epoch it was published in (header {@code ferry_epoch}); -1 without it
 * @param appendedAt when the event was appended: its {@code ce_time} header, stamped by the event store at the append
 * @param sentAt     Kafka: the record's create time, stamped by the relay's producer when the relay handed it over
 *                   ({@code send()}); NATS: -1 (a JetStream message carries no publish time)
 * @param storedAt   NATS: when JetStream stored the message (its metadata's timestamp; the publish is acknowledged
 *                   right after); Kafka: -1 (the topic keeps create times, not the broker's append time)
 * @param seenAt     when the observer received it: readable from the broker, so acknowledged
 */
record TailedRecord(long epoch, long appendedAt, long sentAt, long storedAt, long seenAt) {

    /** The relay's publish time the transport gives: the send on Kafka, the store on NATS. */
    long publishedAt() {
        return sentAt >= 0 ? sentAt : storedAt;
    }

    static long epochOf(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Long.parseLong(header);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    static long instantOf(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Instant.parse(header).toEpochMilli();
        } catch (DateTimeParseException e) {
            return -1;
        }
    }
}
