package dev.ferry.core.wire;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.Tombstone;

/** Each kind of record gets its headers, in their one order, and its JSON value; a tombstone has no value. */
class RecordEncodingTest {

    private final List<String> headers = new ArrayList<>();

    @Test
    void anEventIsItsHeadersAndItsJson() {
        Event event = new Event("e-1", "patient", "p-1", 3, "PatientUpdated",
            Instant.parse("2026-11-23T16:00:00.123Z"), "{\"name\":\"Ada\"}", new EventMetadata("c-1", null));

        byte[] value = RecordEncoding.encode(event, (name, text) -> headers.add(name + "=" + text));

        assertThat(new String(value, UTF_8)).isEqualTo(EventJson.encode(event));
        assertThat(headers).containsExactly("ce_specversion=1.0", "ce_id=e-1", "ce_type=PatientUpdated",
            "ce_source=ferry/patient", "ce_subject=p-1", "ce_time=2026-11-23T16:00:00.123Z",
            "content-type=application/json", "ce_ferryversionrule=contiguous");
    }

    @Test
    void anEntityChangeIsItsHeadersAndItsJsonAndItsTombstoneHasNoValue() {
        EntityChange delete = new EntityChange("patient", "p-1", EntityOperation.DELETE,
            EntityVersion.ofClusterTime(1764670000L, 5, 1), null, null, "clinic", "patients", 1764670000L, 5);

        byte[] value = RecordEncoding.encode(delete, (name, text) -> headers.add(name + "=" + text));

        assertThat(new String(value, UTF_8)).isEqualTo(EntityJson.encode(delete));
        assertThat(headers).startsWith("ce_specversion=1.0", "ce_id=" + delete.recordId(), "ce_type=patient.delete")
            .endsWith("ce_ferryversion=" + delete.version().wire());

        headers.clear();
        assertThat(RecordEncoding.encode(new Tombstone(delete), (name, text) -> headers.add(name + "=" + text)))
            .isNull();
        assertThat(headers).containsExactly("ce_subject=p-1", "ce_ferryversion=" + delete.version().wire(),
            "ferry_tombstone=true");
    }
}
