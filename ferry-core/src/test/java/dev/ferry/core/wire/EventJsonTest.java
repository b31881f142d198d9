package dev.ferry.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;

class EventJsonTest {

    @Test
    void writesTheCompleteEventWithThePayloadInline() {
        Event event = new Event("e-1", "patient", "p-\"1\"", 3, "PatientUpdated",
            Instant.parse("2026-11-23T16:00:00.123Z"), "{\"name\":\"Ada\\nL.\"}", new EventMetadata("c-1", null));

        assertThat(EventJson.encode(event)).isEqualTo("{\"eventId\":\"e-1\",\"aggregateType\":\"patient\","
            + "\"aggregateId\":\"p-\\\"1\\\"\",\"version\":3,\"eventType\":\"PatientUpdated\","
            + "\"timestamp\":\"2026-11-23T16:00:00.123Z\",\"payload\":{\"name\":\"Ada\\nL.\"},"
            + "\"metadata\":{\"correlationId\":\"c-1\",\"causationId\":null}}");
    }

    @Test
    void escapesControlCharacters() {
        assertThat(EventJson.quote("a\u0001b\tc")).isEqualTo("\"a\\u0001b\\tc\"");
    }
}
