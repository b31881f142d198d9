package dev.ferry.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {

    @Test
    void commitsOnlyBelowTheLowestUnfinishedRecord() {
        PartitionOffsets offsets = new PartitionOffsets();
        offsets.add(10);
        offsets.add(11);
        offsets.add(12);

        offsets.finish(11);
        offsets.finish(12);
        assertThat(offsets.committable()).isEqualTo(10);

        offsets.committed(10);
        assertThat(offsets.committable()).isEqualTo(-1);

        offsets.finish(10);
        assertThat(offsets.committable()).isEqualTo(13);
        assertThat(offsets.inFlight()).isZero();
    }

    @Test
    void aRevokedAssignmentIsMarked() {
        PartitionOffsets offsets = new PartitionOffsets();
        offsets.revoke();

        assertThat(offsets.isRevoked()).isTrue();
    }
}
