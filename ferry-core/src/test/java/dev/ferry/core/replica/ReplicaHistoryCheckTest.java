package dev.ferry.core.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaHistoryCheck.Verdict;

class ReplicaHistoryCheckTest {

    @Test
    void versionsOnlyGoingUpPerIdAreClean() {
        Verdict verdict = check(live("a", 1), live("b", 1), live("a", 2), deleted("a", 3), live("b", 4), live("a", 5));

        assertThat(verdict.clean()).isTrue();
        assertThat(verdict.writes()).isEqualTo(6);
    }

    @Test
    void aLowerVersionAfterAHigherOneIsAnOrderViolation() {
        Verdict verdict = check(live("a", 1), live("a", 3), live("a", 2));

        assertThat(verdict.orderViolations()).isEqualTo(1);
        assertThat(verdict.resurrections()).isZero();
        assertThat(verdict.examples()).singleElement().asString().contains("order violation").contains("a");
    }

    @Test
    void aLiveWriteOlderThanAWrittenDeleteIsAResurrection() {
        Verdict verdict = check(live("a", 1), deleted("a", 3), live("a", 2));

        assertThat(verdict.resurrections()).isEqualTo(1);
        assertThat(verdict.orderViolations()).isEqualTo(1);
    }

    @Test
    void aReCreateNewerThanItsDeleteIsNoResurrection() {
        Verdict verdict = check(live("a", 1), deleted("a", 3), live("a", 4));

        assertThat(verdict.clean()).isTrue();
    }

    @Test
    void theSameVersionWrittenTwiceIsARepeat() {
        Verdict verdict = check(live("a", 1), live("a", 1));

        assertThat(verdict.repeats()).isEqualTo(1);
        assertThat(verdict.clean()).isFalse();
    }

    @Test
    void idsAreCheckedApart() {
        Verdict verdict = check(live("a", 5), live("b", 1), deleted("b", 2), live("a", 6));

        assertThat(verdict.clean()).isTrue();
    }

    private static Verdict check(ReplicaWrite... writes) {
        ReplicaHistoryCheck check = new ReplicaHistoryCheck();
        check.recordAll(List.of(writes));
        return check.verdict();
    }

    private static ReplicaWrite live(String id, long version) {
        return new ReplicaWrite(id, EntityVersion.ofClusterTime(version, 0, 1), false);
    }

    private static ReplicaWrite deleted(String id, long version) {
        return new ReplicaWrite(id, EntityVersion.ofClusterTime(version, 0, 1), true);
    }
}
