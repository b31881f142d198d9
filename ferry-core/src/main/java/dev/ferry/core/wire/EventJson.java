package dev.ferry.core.wire;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.relay.spi.Change;

/**
 * Ferry's one wire format: the complete event as a JSON object, so a consumer in any language needs nothing
 * but the record value:
 * <pre>{"eventId":"…","aggregateType":"patient","aggregateId":"p-1","version":3,"eventType":"PatientUpdated",
 *  "timestamp":"2026-11-23T16:00:00.123Z","payload":{…},"metadata":{"correlationId":"…","causationId":null}}</pre>
 * An aggregate whose versions only increase ({@link VersionRule#INCREASING}) also carries
 * {@code "versionRule":"increasing"}; absent means {@code contiguous}, which is what every record written before the
 * field existed (and still in a topic) is.
 * Written by hand, straight into UTF-8 ({@link JsonBuffer}): the core depends on no JSON library, and the payload is
 * already JSON.
 */
public final class EventJson {

    private EventJson() {
    }

    public static String encode(Event event) {
        JsonBuffer json = new JsonBuffer(event.payloadJson().length() + 320);
        write(event, json);
        return json.text();
    }

    /** Appends the event's JSON to {@code json}. */
    public static void write(Event event, JsonBuffer json) {
        json.ascii("{\"eventId\":").string(event.eventId());
        json.ascii(",\"aggregateType\":").string(event.aggregateType());
        json.ascii(",\"aggregateId\":").string(event.aggregateId());
        json.ascii(",\"version\":").number(event.version());
        json.ascii(",\"eventType\":").string(event.eventType());
        json.ascii(",\"timestamp\":\"");
        IsoInstant.write(event.timestamp(), json);
        json.ascii("\",\"payload\":").raw(event.payloadJson());
        json.ascii(",\"metadata\":{\"correlationId\":").string(event.metadata().correlationId());
        json.ascii(",\"causationId\":").string(event.metadata().causationId());
        json.ascii('}');
        if (event.versionRule() != VersionRule.CONTIGUOUS) {
            json.ascii(",\"versionRule\":").string(event.versionRule().wireName());
        }
        json.ascii('}');
    }

    /** Past this, a dead letter carries the document's size and beginning, not the document: it must fit a record. */
    static final int MAX_DEAD_LETTER_DOCUMENT_CHARS = 256 * 1024;
    private static final int DOCUMENT_START_CHARS = 4096;

    /**
     * A dead letter's value: why the document was not relayed, where it was in the stream, and the document — or, for
     * a document too large for a record, its size in characters and its beginning.
     */
    public static String deadLetter(Change.Refused malformed) {
        String document = malformed.documentJson();
        String head = "{\"reason\":" + quote(malformed.reason()) + ",\"resumeToken\":" + malformed.token().value();
        if (document.length() > MAX_DEAD_LETTER_DOCUMENT_CHARS) {
            return head + ",\"document\":null,\"documentChars\":" + document.length() + ",\"documentStart\":"
                + quote(document.substring(0, DOCUMENT_START_CHARS)) + "}";
        }
        return head + ",\"document\":" + document + "}";
    }

    /** {@code value} as a JSON string literal ({@code null} for null). */
    public static String quote(String value) {
        StringBuilder json = new StringBuilder();
        string(json, value);
        return json.toString();
    }

    private static void string(StringBuilder json, String value) {
        if (value == null) {
            json.append("null");
            return;
        }
        json.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }
}
