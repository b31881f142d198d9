package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.relay.spi.ResumeToken;

/** {@code ferry status} tells an operator how far each copy has got, and whether its source streams meanwhile. */
class StatusCommandTest {

    @Test
    void eachCopyIsOneLineWithItsDocumentsAndHowItGoesOn() {
        assertThat(StatusCommand.copies(Map.of(
            "patients", new CopyProgress("{\"_id\": 7}", 12_000, false),
            "events", new CopyProgress("", 3_000, false),
            "orders", new CopyProgress("", 10, false, new ResumeToken("{}")),
            "practitioners", new CopyProgress("{\"_id\": 9}", 40, true)), Set.of("patients", "practitioners")))
            .containsExactly(
                "copy of events: 3,000 documents copied, in progress before streaming",
                "copy of orders: 10 documents copied, in progress while the others stream (its own changes follow)",
                "copy of patients: 12,000 documents copied, in progress by watermarks while it streams",
                "copy of practitioners: 40 documents copied, complete");
    }

    @Test
    void itSaysWhichPositionANewLeaderStartsFrom() {
        assertThat(StatusCommand.authority(false, null)).isEqualTo("position: the checkpoint above (MongoDB) is "
            + "authoritative");
        assertThat(StatusCommand.authority(true, "ferry.relay-positions")).isEqualTo("position: Kafka's exactly-once "
            + "mode: the position committed with the records in ferry.relay-positions is authoritative; the checkpoint "
            + "above is MongoDB's copy, written after each commit (at most one commit behind)");
    }
}
