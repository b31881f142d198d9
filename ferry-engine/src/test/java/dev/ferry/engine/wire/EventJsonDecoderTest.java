package dev.ferry.engine.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.VersionRule;
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

    @Test
    void takesThePayloadAsItsExactBytesWhateverItsLayout() {
        String payload = "{ \"name\" : \"Zoë \\\"the\\\" 🚑\",\n  \"nested\": {\"a\": [1, {\"b\": null}]} }";
        String value = "{\"metadata\":{\"correlationId\":null,\"extra\":[1]},\"eventId\":\"e-1\",\"aggregateType\":\"patient\","
            + "\"aggregateId\":\"p-1\",\"unknown\":{\"x\":[1,2]},\"version\":2,\"eventType\":\"Named\","
            + "\"timestamp\":\"2026-11-23T16:00:00Z\",\"payload\":" + payload + "}";

        Event decoded = decoder.decode(value.getBytes(UTF_8));

        assertThat(decoded.payloadJson()).isEqualTo(payload);
        assertThat(decoded.version()).isEqualTo(2);
        assertThat(decoded.metadata()).isEqualTo(new EventMetadata(null, null));
    }

    @Test
    void refusesAPayloadThatIsNotAnObjectOrNotWellFormed() {
        String prefix = "{\"eventId\":\"e\",\"aggregateType\":\"patient\",\"aggregateId\":\"p\",\"version\":1,"
            + "\"eventType\":\"T\",\"timestamp\":\"2026-11-23T16:00:00Z\",\"payload\":";
        assertThatThrownBy(() -> decoder.decode((prefix + "[1]}").getBytes(UTF_8)))
            .hasMessageContaining("'payload' must be a JSON object");
        assertThatThrownBy(() -> decoder.decode((prefix + "{\"a\":}}").getBytes(UTF_8)))
            .isInstanceOf(EventJsonDecoder.UndecodableEvent.class);
        assertThatThrownBy(() -> decoder.decode((prefix.replace("\"version\":1", "\"version\":\"1\"") + "{}}")
            .getBytes(UTF_8))).hasMessageContaining("'version' must be an integer");
        assertThatThrownBy(() -> decoder.decode((prefix.replace("2026-11-23T16:00:00Z", "yesterday") + "{}}")
            .getBytes(UTF_8))).isInstanceOf(EventJsonDecoder.UndecodableEvent.class);
    }

    @Test
    void theVersionRuleTravelsInTheValueAndIsContiguousWhenAbsent() {
        Event increasing = new Event("e-1", "patient", "p-1", 1_700_000_000_001L, "PatientUpdated",
            Instant.parse("2026-11-23T16:00:00Z"), "{}", EventMetadata.NONE, VersionRule.INCREASING);
        String json = EventJson.encode(increasing);

        assertThat(json).endsWith(",\"versionRule\":\"increasing\"}");
        assertThat(decoder.decode(json.getBytes(UTF_8))).isEqualTo(increasing);
        Event contiguous = new Event("e-2", "patient", "p-1", 2, "PatientUpdated", Instant.parse("2026-11-23T16:00:00Z"),
            "{}", EventMetadata.NONE);
        assertThat(EventJson.encode(contiguous)).doesNotContain("versionRule");
        assertThat(decoder.decode(EventJson.encode(contiguous).getBytes(UTF_8)).versionRule())
            .isEqualTo(VersionRule.CONTIGUOUS);
        assertThatThrownBy(() -> decoder.decode(json.replace("\"increasing\"", "\"sometimes\"").getBytes(UTF_8)))
            .isInstanceOf(EventJsonDecoder.UndecodableEvent.class).hasMessageContaining("versionRule");
    }
}
