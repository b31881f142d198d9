package dev.ferry.core.event;

/**
 * Tracing identifiers carried with an event.
 *
 * @param correlationId the request or conversation the event belongs to, or {@code null}
 * @param causationId   the id of the command or event that caused it, or {@code null}
 */
public record EventMetadata(String correlationId, String causationId) {

    public static final EventMetadata NONE = new EventMetadata(null, null);
}
