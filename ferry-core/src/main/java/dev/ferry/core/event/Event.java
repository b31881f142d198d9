package dev.ferry.core.event;

import java.time.Instant;
import java.util.Objects;

/**
 * A stored event: an immutable fact about one aggregate. This envelope is what the relay publishes and
 * projectors consume.
 *
 * @param eventId       globally unique; consumers use it as an idempotency key for side effects
 * @param aggregateType the kind of aggregate, e.g. {@code patient}; selects the topic
 * @param aggregateId   the aggregate's id; the partition key, so one aggregate's events stay in order
 * @param version       1-based; per aggregate either contiguous or only increasing, as {@code versionRule} says
 * @param eventType     e.g. {@code PatientRegistered}
 * @param timestamp     when the event was appended
 * @param payloadJson   the event's data as a JSON object
 * @param metadata      correlation and causation ids
 * @param versionRule   how this aggregate's versions follow each other; what the version check does with them
 */
public record Event(String eventId, String aggregateType, String aggregateId, long version, String eventType,
                    Instant timestamp, String payloadJson, EventMetadata metadata, VersionRule versionRule)
    implements FerryRecord {

    /** An event of an aggregate whose versions are contiguous (Ferry's own commits). */
    public Event(String eventId, String aggregateType, String aggregateId, long version, String eventType,
                 Instant timestamp, String payloadJson, EventMetadata metadata) {
        this(eventId, aggregateType, aggregateId, version, eventType, timestamp, payloadJson, metadata,
            VersionRule.CONTIGUOUS);
    }

    public Event {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(aggregateType, "aggregateType");
        Objects.requireNonNull(aggregateId, "aggregateId");
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(payloadJson, "payloadJson");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(versionRule, "versionRule");
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1, was " + version);
        }
    }

    @Override
    public String type() {
        return aggregateType;
    }

    @Override
    public String key() {
        return aggregateId;
    }

    @Override
    public String recordId() {
        return eventId;
    }
}
