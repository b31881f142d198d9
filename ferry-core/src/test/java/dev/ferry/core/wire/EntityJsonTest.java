package dev.ferry.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.event.Tombstone;

/** An entity change's record value is the documented JSON; versions order as plain strings. */
class EntityJsonTest {

    @Test
    void anUpdateIsWrittenWithItsDocumentSourceAndClusterTime() {
        EntityChange change = new EntityChange("patient", "p-1", EntityOperation.UPDATE,
            EntityVersion.ofClusterTime(1764670000L, 5, 1), "{\"_id\": \"p-1\", \"n\": {\"$numberLong\": \"3\"}}", null,
            "clinic", "patients", 1764670000L, 5);

        assertThat(EntityJson.encode(change)).isEqualTo("{\"entity\":\"patient\",\"id\":\"p-1\",\"operation\":\"update\","
            + "\"version\":\"1764670000.0000000005.0000000001\",\"document\":{\"_id\": \"p-1\", \"n\": {\"$numberLong\": "
            + "\"3\"}},\"source\":{\"db\":\"clinic\",\"collection\":\"patients\"},\"clusterTime\":{\"t\":1764670000,"
            + "\"i\":5}}");
        assertThat(change.recordId()).isEqualTo("patient/p-1/1764670000.0000000005.0000000001");
    }

    @Test
    void aDeleteHasANullDocumentAndTheBeforeImageWhereThereIsOne() {
        EntityChange delete = new EntityChange("patient", "p-1", EntityOperation.DELETE,
            EntityVersion.ofClusterTime(1, 2, 1), null, "{\"_id\": \"p-1\"}", "clinic", "patients", 1, 2);

        assertThat(EntityJson.encode(delete)).contains("\"operation\":\"delete\"", "\"document\":null",
            "\"before\":{\"_id\": \"p-1\"}");
        assertThat(new Tombstone(delete).key()).isEqualTo("p-1");
        assertThatThrownBy(() -> new Tombstone(new EntityChange("patient", "p-1", EntityOperation.CREATE,
            EntityVersion.ofClusterTime(1, 2, 1), "{}", null, "clinic", "patients", 1, 2)))
            .hasMessageContaining("a tombstone follows a delete");
    }

    @Test
    void versionsCompareAsStringsInClusterTimeThenPositionOrder() {
        EntityVersion copied = EntityVersion.ofClusterTime(100, 7, 0);
        EntityVersion streamedAtTheSameTime = EntityVersion.ofClusterTime(100, 7, 1);
        EntityVersion laterInTheTransaction = EntityVersion.ofClusterTime(100, 7, 12);
        EntityVersion nextIncrement = EntityVersion.ofClusterTime(100, 8, 1);
        EntityVersion nextSecond = EntityVersion.ofClusterTime(101, 0, 1);
        EntityVersion largestTime = EntityVersion.ofClusterTime(4_294_967_295L, 4_294_967_295L, 1);

        assertThat(copied.wire()).isLessThan(streamedAtTheSameTime.wire());
        assertThat(streamedAtTheSameTime.wire()).isLessThan(laterInTheTransaction.wire());
        assertThat(laterInTheTransaction.wire()).isLessThan(nextIncrement.wire());
        assertThat(nextIncrement.wire()).isLessThan(nextSecond.wire());
        assertThat(nextSecond.wire()).isLessThan(largestTime.wire());
        assertThat(EntityVersion.ofField(9).wire()).isLessThan(EntityVersion.ofField(10).wire());
        assertThat(EntityVersion.ofField(9).wire()).isLessThan(EntityVersion.ofFieldDelete(9).wire());
        assertThat(EntityVersion.ofFieldDelete(9).wire()).isLessThan(EntityVersion.ofField(10).wire());
        assertThatThrownBy(() -> EntityVersion.ofField(-1)).hasMessageContaining("must not be negative");
    }
}
