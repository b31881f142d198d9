package dev.ferry.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.relay.spi.Change;
import dev.ferry.core.relay.spi.ResumeToken;

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

    @Test
    void aDeadLetterOfADocumentTooLargeForARecordCarriesItsSizeAndBeginning() {
        String large = "{\"_id\": \"p-1\", \"scan\": \"" + "x".repeat(300 * 1024) + "\"}";
        String deadLetter = EventJson.deadLetter(new Change.Refused(new ResumeToken("{\"_data\": \"82\"}"), large,
            "not a valid commit"));

        assertThat(deadLetter).startsWith("{\"reason\":\"not a valid commit\",\"resumeToken\":{\"_data\": \"82\"},"
            + "\"document\":null,\"documentChars\":" + large.length() + ",\"documentStart\":\"{\\\"_id\\\": \\\"p-1\\\"");
        assertThat(deadLetter.length()).isLessThan(5_000);
        assertThat(EventJson.deadLetter(new Change.Refused(new ResumeToken("{}"), "{\"a\": 1}", "r")))
            .isEqualTo("{\"reason\":\"r\",\"resumeToken\":{},\"document\":{\"a\": 1}}");
    }
}
