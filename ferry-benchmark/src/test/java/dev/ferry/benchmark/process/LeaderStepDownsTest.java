package dev.ferry.benchmark.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaderStepDownsTest {

    /** Leadership's lines as the deployed log layout prints them (ferry-app's log4j2.xml). */
    private static final String RENEWAL_LATE = "12:00:01.250 WARN  [lease-ferry-relay-a1] Leadership - lease ferry-relay: "
        + "instance a1 could not renew epoch 3 in time; stepping down";
    private static final String TAKEN = "12:00:02.000 WARN  [lease-ferry-relay-a1] Leadership - lease ferry-relay: "
        + "instance a1 lost epoch 4 to another instance";
    private static final String LEADER = "12:00:03.000 INFO  [lease-ferry-relay-a1] Leadership - lease ferry-relay: "
        + "instance a1 is leader at epoch 5";

    @TempDir
    Path logs;

    @Test
    void aLateRenewalAndALeaseTakenFromALiveHolderAreStepDownsAndBecomingLeaderIsNot() {
        assertThat(LeaderStepDowns.isStepDown(RENEWAL_LATE)).isTrue();
        assertThat(LeaderStepDowns.isStepDown(TAKEN)).isTrue();
        assertThat(LeaderStepDowns.isStepDown(LEADER)).isFalse();
    }

    @Test
    void theStepDownsOfSeveralProcessesAreCountedFromTheirLogsOnBothStreams() throws Exception {
        try (ChildJvm first = ChildJvm.start("first", List.of("sh", "-c", "echo '" + RENEWAL_LATE + "' >&2; echo '"
                + LEADER + "' >&2; echo '" + TAKEN + "'"), Map.of(), logs);
             ChildJvm second = ChildJvm.start("second", List.of("sh", "-c", "echo '" + RENEWAL_LATE + "' >&2"), Map.of(),
                 logs)) {
            first.awaitExit(Duration.ofSeconds(30));
            second.awaitExit(Duration.ofSeconds(30));

            assertThat(LeaderStepDowns.logged(List.of(first, second))).isEqualTo(3);
        }
    }
}
