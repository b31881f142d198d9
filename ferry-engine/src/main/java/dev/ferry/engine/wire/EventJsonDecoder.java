package dev.ferry.engine.wire;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeParseException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.wire.IsoInstant;

/**
 * Reads a record value written in Ferry's wire format ({@link dev.ferry.core.wire.EventJson}) back into an event.
 * One streaming pass: the payload is validated token by token and then taken as the exact bytes it occupies, not
 * built into a tree and written out again (that round trip was most of a projector's per-event CPU).
 */
public final class EventJsonDecoder {

    private final JsonFactory json = new JsonFactory();

    /**
     * @throws UndecodableEvent naming the problem, if the value is not an event in Ferry's format
     */
    public Event decode(byte[] value) {
        if (value == null) {
            throw new UndecodableEvent("record has no value");
        }
        Fields fields = new Fields();
        try (JsonParser parser = json.createParser(value)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new UndecodableEvent("value is not a JSON object");
            }
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                JsonToken token = parser.nextToken();
                switch (name) {
                    case "eventId" -> fields.eventId = text(parser, token);
                    case "aggregateType" -> fields.aggregateType = text(parser, token);
                    case "aggregateId" -> fields.aggregateId = text(parser, token);
                    case "eventType" -> fields.eventType = text(parser, token);
                    case "timestamp" -> fields.timestamp = text(parser, token);
                    case "version" -> {
                        fields.hasVersion = token == JsonToken.VALUE_NUMBER_INT;
                        fields.version = fields.hasVersion ? parser.getLongValue() : 0; // unboxed: no Long per event
                    }
                    case "payload" -> fields.payload = payload(parser, token, value);
                    case "metadata" -> metadata(parser, token, fields);
                    case "versionRule" -> fields.versionRule = token == JsonToken.VALUE_NULL ? null
                        : token == JsonToken.VALUE_STRING ? parser.getText() : "";
                    default -> parser.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new UndecodableEvent(e.getMessage());
        }
        return fields.toEvent();
    }

    /** The payload object's own bytes, after the parser has checked it is well-formed JSON. */
    private static String payload(JsonParser parser, JsonToken token, byte[] value) throws IOException {
        if (token != JsonToken.START_OBJECT) {
            throw new UndecodableEvent("'payload' must be a JSON object");
        }
        int start = (int) parser.currentTokenLocation().getByteOffset();
        parser.skipChildren();
        int end = (int) parser.currentLocation().getByteOffset();
        return new String(value, start, end - start, StandardCharsets.UTF_8);
    }

    private static void metadata(JsonParser parser, JsonToken token, Fields fields) throws IOException {
        if (token != JsonToken.START_OBJECT) {
            parser.skipChildren();
            return;
        }
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            switch (name) {
                case "correlationId" -> fields.correlationId = text(parser, value);
                case "causationId" -> fields.causationId = text(parser, value);
                default -> parser.skipChildren();
            }
        }
    }

    /** The string value, or null for anything else (which the required fields then reject by name). */
    private static String text(JsonParser parser, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        parser.skipChildren();
        return null;
    }

    /** The fields as read; checked in the order an event's constructor takes them. */
    private static final class Fields {
        String eventId;
        String aggregateType;
        String aggregateId;
        boolean hasVersion;
        long version;
        String eventType;
        String timestamp;
        String payload;
        String correlationId;
        String causationId;
        /** Absent or null: contiguous, as in every record written before the field existed. */
        String versionRule;

        Event toEvent() {
            try {
                return new Event(required(eventId, "eventId"), required(aggregateType, "aggregateType"),
                    required(aggregateId, "aggregateId"), requiredVersion(), required(eventType, "eventType"),
                    IsoInstant.parse(required(timestamp, "timestamp")), requiredPayload(),
                    new EventMetadata(correlationId, causationId),
                    versionRule == null ? VersionRule.CONTIGUOUS : VersionRule.fromWireName(versionRule));
            } catch (DateTimeParseException | IllegalArgumentException | NullPointerException e) {
                throw new UndecodableEvent(e.getMessage());
            }
        }

        private long requiredVersion() {
            if (!hasVersion) {
                throw new UndecodableEvent("'version' must be an integer");
            }
            return version;
        }

        private String requiredPayload() {
            if (payload == null) {
                throw new UndecodableEvent("'payload' must be a JSON object");
            }
            return payload;
        }

        private static String required(String value, String field) {
            if (value == null) {
                throw new UndecodableEvent("'" + field + "' must be a string");
            }
            return value;
        }
    }

    /** A record value that is not an event in Ferry's wire format. */
    public static final class UndecodableEvent extends RuntimeException {
        public UndecodableEvent(String reason) {
            super("not a Ferry event: " + reason);
        }
    }
}
