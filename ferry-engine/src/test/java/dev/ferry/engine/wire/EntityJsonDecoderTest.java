package dev.ferry.engine.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.wire.EntityJson;

/** An entity change's record value reads back as the change the relay wrote; anything else is named. */
class EntityJsonDecoderTest {

    private final EntityJsonDecoder decoder = new EntityJsonDecoder();

    @Test
    void whatTheRelayWritesReadsBackAsTheSameChange() {
        EntityChange update = new EntityChange("patient", "p-1", EntityOperation.UPDATE,
            EntityVersion.ofClusterTime(1764670000L, 5, 1),
            "{\"_id\":\"p-1\",\"n\":{\"$numberLong\":\"3\"},\"tags\":[\"a\",{\"$numberInt\":\"1\"}]}",
            "{\"_id\":\"p-1\",\"n\":{\"$numberLong\":\"2\"}}", "clinic", "patients", 1764670000L, 5);
        EntityChange delete = new EntityChange("patient", "p-1", EntityOperation.DELETE,
            EntityVersion.ofClusterTime(1764670001L, 1, 1), null, null, "clinic", "patients", 1764670001L, 1);

        assertThat(decoder.decode(EntityJson.encode(update).getBytes(UTF_8))).isEqualTo(update);
        assertThat(decoder.decode(EntityJson.encode(delete).getBytes(UTF_8))).isEqualTo(delete);
    }

    @Test
    void unknownFieldsAreIgnoredAndMissingOnesNamed() {
        assertThat(decoder.decode(("{\"entity\":\"patient\",\"id\":\"p-1\",\"operation\":\"create\",\"version\":\"v1\","
            + "\"document\":{\"_id\":\"p-1\"},\"source\":{\"db\":\"d\",\"collection\":\"c\",\"shard\":\"s1\"},"
            + "\"clusterTime\":{\"t\":1,\"i\":2},\"later\":[1,2]}").getBytes(UTF_8)).id()).isEqualTo("p-1");
        assertThatThrownBy(() -> decoder.decode("{\"entity\":\"patient\"}".getBytes(UTF_8)))
            .hasMessage("id is missing");
        assertThatThrownBy(() -> decoder.decode(("{\"entity\":\"patient\",\"id\":\"p-1\",\"operation\":\"upsert\","
            + "\"version\":\"v1\",\"source\":{\"db\":\"d\",\"collection\":\"c\"}}").getBytes(UTF_8)))
            .hasMessage("operation must be create, update or delete, was 'upsert'");
        assertThatThrownBy(() -> decoder.decode(null)).hasMessage("record has no value (a tombstone)");
        assertThatThrownBy(() -> decoder.decode("[".getBytes(UTF_8))).hasMessageStartingWith("value is not a JSON object");
    }
}
