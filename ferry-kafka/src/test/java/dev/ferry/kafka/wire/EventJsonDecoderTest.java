package dev.ferry.kafka.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.wire.EventJson;

class EventJsonDecoderTest {

    private final EventJsonDecoder decoder = new EventJsonDecoder();

    @Test
    void readsBackWhatTheWireFormatWrites() {
        Event event = new Event("e-1", "patient", "p-1", 7, "PatientUpdated", Instant.parse("2026-11-23T16:00:00.123Z"),
            "{\"ward\":3,\"tags\":[\"a\"]}", new EventMetadata("c-1", "e-0"));

        Event decoded = decoder.decode(EventJson.encode(event).getBytes(UTF_8));

        assertThat(decoded).isEqualTo(event);
    }

    @Test
    void namesWhatIsWrongWithAnUndecodableValue() {
        assertThatThrownBy(() -> decoder.decode("not json".getBytes(UTF_8)))
            .isInstanceOf(EventJsonDecoder.UndecodableEvent.class).hasMessageStartingWith("not a Ferry event");
        assertThatThrownBy(() -> decoder.decode("{\"eventId\":\"e\"}".getBytes(UTF_8)))
            .hasMessageContaining("'aggregateType' must be a string");
        assertThatThrownBy(() -> decoder.decode(null)).hasMessageContaining("no value");
    }
}
