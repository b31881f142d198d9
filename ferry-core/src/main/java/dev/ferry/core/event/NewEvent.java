package dev.ferry.core.event;

import java.util.Objects;

/**
 * An event a caller asks the event store to append; the store assigns its id, version and timestamp.
 *
 * @param eventType   the event's type, e.g. {@code PatientRegistered}
 * @param payloadJson the event's data as a JSON object
 * @param metadata    correlation and causation ids
 */
public record NewEvent(String eventType, String payloadJson, EventMetadata metadata) {

    public NewEvent {
        Objects.requireNonNull(eventType, "eventType");
        Objects.requireNonNull(payloadJson, "payloadJson");
        Objects.requireNonNull(metadata, "metadata");
        if (eventType.isBlank()) {
            throw new IllegalArgumentException("eventType must not be blank");
        }
    }

    public NewEvent(String eventType, String payloadJson) {
        this(eventType, payloadJson, EventMetadata.NONE);
    }
}
