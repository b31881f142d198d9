package dev.ferry.kafka.publish;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.ResumeToken;

/** The exactly-once mode's relay position, as stored in the positions topic: the checkpoint whole, in plain JSON. */
class RelayPositionJsonTest {

    @Test
    void aPositionReadsBackAsTheCheckpointItWasWrittenFrom() {
        Map<String, CopyProgress> copies = new LinkedHashMap<>();
        copies.put("patients", new CopyProgress("{\"_id\":\"p-9\"}", 9, false, new ResumeToken("82aa")));
        copies.put("events", new CopyProgress("end", 100, true));
        Checkpoint checkpoint = new Checkpoint(new ResumeToken("8266\"\\x"), copies, 1234, 7,
            Instant.parse("2026-12-08T02:00:00.123Z"));

        byte[] json = RelayPositionJson.encode(checkpoint);

        assertThat(new String(json, UTF_8)).isEqualTo("{\"token\":\"8266\\\"\\\\x\",\"sequence\":1234,\"epoch\":7,"
            + "\"savedAt\":\"2026-12-08T02:00:00.123Z\",\"copies\":{\"events\":{\"position\":\"end\",\"copied\":100,"
            + "\"complete\":true,\"notedAt\":null},\"patients\":{\"position\":\"{\\\"_id\\\":\\\"p-9\\\"}\","
            + "\"copied\":9,\"complete\":false,\"notedAt\":\"82aa\"}}}");
        assertThat(RelayPositionJson.decode(json)).isEqualTo(checkpoint);
    }

    @Test
    void aFieldALaterVersionAddsIsSkipped() {
        byte[] json = ("{\"token\":\"t\",\"future\":{\"a\":[1,2]},\"sequence\":1,\"epoch\":2,"
            + "\"savedAt\":\"2026-12-08T00:00:00Z\",\"copies\":{}}").getBytes(UTF_8);
        assertThat(RelayPositionJson.decode(json).sequence()).isEqualTo(1);
    }

    @Test
    void whatIsNotAPositionIsRefusedNamingWhatIsMissing() {
        assertThatThrownBy(() -> RelayPositionJson.decode("{\"token\":\"t\",\"epoch\":2}".getBytes(UTF_8)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageStartingWith("a relay position needs token, sequence, epoch and savedAt");
        assertThatThrownBy(() -> RelayPositionJson.decode("not json".getBytes(UTF_8)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("not a relay position");
    }
}
