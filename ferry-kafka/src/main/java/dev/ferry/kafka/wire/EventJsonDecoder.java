package dev.ferry.kafka.wire;

import java.io.IOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;

/** Reads a record value written in Ferry's wire format ({@link dev.ferry.core.wire.EventJson}) back into an event. */
public final class EventJsonDecoder {

    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * @throws UndecodableEvent naming the problem, if the value is not an event in Ferry's format
     */
    public Event decode(byte[] value) {
        if (value == null) {
            throw new UndecodableEvent("record has no value");
        }
        try {
            JsonNode json = mapper.readTree(value);
            if (json == null || !json.isObject()) {
                throw new UndecodableEvent("value is not a JSON object");
            }
            JsonNode metadata = json.path("metadata");
            return new Event(text(json, "eventId"), text(json, "aggregateType"), text(json, "aggregateId"),
                number(json, "version"), text(json, "eventType"), Instant.parse(text(json, "timestamp")),
                payload(json), new EventMetadata(optionalText(metadata, "correlationId"),
                optionalText(metadata, "causationId")));
        } catch (IOException | DateTimeParseException | IllegalArgumentException | NullPointerException e) {
            throw new UndecodableEvent(e.getMessage());
        }
    }

    private String payload(JsonNode json) throws IOException {
        JsonNode payload = json.get("payload");
        if (payload == null || !payload.isObject()) {
            throw new UndecodableEvent("'payload' must be a JSON object");
        }
        return mapper.writeValueAsString(payload);
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || !node.isTextual()) {
            throw new UndecodableEvent("'" + field + "' must be a string");
        }
        return node.asText();
    }

    private static String optionalText(JsonNode json, String field) {
        JsonNode node = json.get(field);
        return node != null && node.isTextual() ? node.asText() : null;
    }

    private static long number(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || !node.canConvertToLong()) {
            throw new UndecodableEvent("'" + field + "' must be an integer");
        }
        return node.asLong();
    }

    /** A record value that is not an event in Ferry's wire format. */
    public static final class UndecodableEvent extends RuntimeException {
        public UndecodableEvent(String reason) {
            super("not a Ferry event: " + reason);
        }
    }
}
