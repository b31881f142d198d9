package dev.ferry.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

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
    void anOffsetAddedOutOfOrderOrAgainStillHoldsTheCommitBack() {
        PartitionOffsets offsets = new PartitionOffsets();
        offsets.add(20);
        offsets.add(22);
        offsets.add(21); // below the last one seen
        offsets.finish(20);
        offsets.finish(22);
        assertThat(offsets.committable()).isEqualTo(21);

        offsets.add(22); // finished, then delivered again: in flight once more
        offsets.add(21); // already in flight: counted once
        offsets.finish(21);
        assertThat(offsets.committable()).isEqualTo(22);
        assertThat(offsets.inFlight()).isEqualTo(1);

        offsets.finish(22);
        assertThat(offsets.committable()).isEqualTo(23);
        assertThat(offsets.inFlight()).isZero();
    }

    @Test
    void manyRecordsFinishedInAnyOrderLeaveTheLowestUnfinishedCommittable() {
        PartitionOffsets offsets = new PartitionOffsets();
        for (long offset = 0; offset < 1_000; offset++) {
            offsets.add(offset);
        }
        for (long offset = 999; offset >= 1; offset--) {
            offsets.finish(offset);
        }
        assertThat(offsets.committable()).isEqualTo(0);
        assertThat(offsets.inFlight()).isEqualTo(1);

        offsets.finish(0);
        assertThat(offsets.committable()).isEqualTo(1_000);
    }

    @Test
    void aRevokedAssignmentIsMarked() {
        PartitionOffsets offsets = new PartitionOffsets();
        offsets.revoke();

        assertThat(offsets.isRevoked()).isTrue();
    }

    @Test
    void recordsWaitSinceTheLastProgressAndNotAtAllOnceAllAreFinished() {
        Instant[] now = {Instant.parse("2026-01-01T00:00:00Z")};
        PartitionOffsets offsets = new PartitionOffsets(new Clock() {
            @Override
            public Instant instant() {
                return now[0];
            }

            @Override
            public ZoneOffset getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                throw new UnsupportedOperationException();
            }
        });
        assertThat(offsets.waitingSince()).isNull();

        offsets.add(10);
        Instant arrived = now[0];
        now[0] = now[0].plusSeconds(5);
        offsets.add(11); // more waiting is no progress
        assertThat(offsets.waitingSince()).isEqualTo(arrived);

        now[0] = now[0].plusSeconds(5);
        offsets.finish(10);
        assertThat(offsets.waitingSince()).isEqualTo(now[0]);

        offsets.finish(11);
        assertThat(offsets.waitingSince()).isNull();
    }
}
