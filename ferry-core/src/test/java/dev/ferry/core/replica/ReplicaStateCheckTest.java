package dev.ferry.core.replica;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaStateCheck.Operation;
import dev.ferry.core.replica.ReplicaStateCheck.SourceChange;
import dev.ferry.core.replica.ReplicaStateCheck.Verdict;

class ReplicaStateCheckTest {

    /** The source's history of "a": created at 10, updated at 20, replaced at 30, deleted at 40, re-created at 50. */
    private static final List<SourceChange> SOURCE = List.of(
        change("a", 10, Operation.WRITE, 1), change("a", 20, Operation.UPDATE, 2), change("a", 30, Operation.WRITE, 3),
        change("a", 40, Operation.DELETE, 3), change("a", 50, Operation.WRITE, 4), change("b", 15, Operation.WRITE, 0));

    @Test
    void everyChangeWrittenAtItsOwnVersionIsClean() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", streamed(10)), 1L);
        check.record(live("a", streamed(20)), 2L);
        check.record(live("a", streamed(30)), 3L);
        check.record(deleted("a", streamed(40)), null);
        check.record(live("a", streamed(50)), 4L);
        Verdict verdict = check.verdict();

        assertThat(verdict.clean()).as(verdict.toString()).isTrue();
        assertThat(verdict.writes()).isEqualTo(5);
        assertThat(verdict.wentBack()).isZero();
    }

    @Test
    void aCopyOfTheStateAtItsVersionIsClean() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", copied(25)), 2L); // copied between the update and the replace
        check.record(live("a", copied(30)), 2L); // position 0 of 30: just before the replace
        check.record(deleted("a", streamed(40)), null);
        check.record(live("b", copied(16)), 0L);

        assertThat(check.verdict().clean()).as(check.verdict().toString()).isTrue();
    }

    @Test
    void aCopyReadAfterLaterChangesIsAheadAndTheReplicaThenGoesBack() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", copied(12)), 3L); // read after the replace, published at a version before the update
        check.record(live("a", streamed(20)), 2L);
        check.record(live("a", streamed(30)), 3L);
        Verdict verdict = check.verdict();

        assertThat(verdict.ahead()).isEqualTo(1);
        assertThat(verdict.regressions()).isZero();
        assertThat(verdict.wentBack()).as("seq 3 shown, then seq 2").isEqualTo(1);
        assertThat(verdict.clean()).isFalse();
        assertThat(verdict.examples()).anySatisfy(line -> assertThat(line).startsWith("ahead: a at ")
            .contains("seq 3").contains("newer than the source's seq 1"));
    }

    @Test
    void aCopyOfADocumentCreatedAfterItsVersionIsAResurrection() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", copied(5)), 1L);
        check.record(live("a", copied(45)), 4L); // the re-create, read before its version's cluster time

        Verdict verdict = check.verdict();
        assertThat(verdict.resurrections()).isEqualTo(2);
        assertThat(verdict.examples()).anySatisfy(line -> assertThat(line).contains("not created it yet"))
            .anySatisfy(line -> assertThat(line).contains("deleted it (at " + streamed(40) + ")"));
    }

    @Test
    void aDeleteWrittenWhereTheSourceHeldTheDocumentIsStale() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", copied(60)), 4L);
        check.record(deleted("a", copied(61)), null);

        Verdict verdict = check.verdict();
        assertThat(verdict.staleDeletes()).isEqualTo(1);
        assertThat(verdict.wentBack()).as("a delete placed at the re-create's place is no step back").isZero();
    }

    @Test
    void anOlderStateAtAVersionIsARegression() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", streamed(30)), 2L);

        assertThat(check.verdict().regressions()).isEqualTo(1);
    }

    @Test
    void anUpdateMayCarryALaterStateTheIdHadAsAnUpdateLookupReadsIt() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", streamed(20)), 3L); // looked up after the replace
        check.record(live("a", streamed(30)), 3L);

        assertThat(check.verdict().clean()).as(check.verdict().toString()).isTrue();
    }

    @Test
    void aLaterStateAtAnInsertsOrAReplacesVersionIsAhead() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", streamed(10)), 2L);

        assertThat(check.verdict().ahead()).isEqualTo(1);
    }

    @Test
    void aSeqTheIdNeverHadOrNoneIsAnUnknownState() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(live("a", streamed(10)), 9L);
        check.record(live("a", streamed(20)), null);
        check.record(live("c", streamed(10)), 1L);

        assertThat(check.verdict().unknownStates()).isEqualTo(3);
    }

    @Test
    void aLiveStateShownAfterItsDeleteWentBack() {
        ReplicaStateCheck check = new ReplicaStateCheck(SOURCE);

        check.record(deleted("a", streamed(40)), null);
        check.record(live("a", copied(35)), 3L); // the truth at its version: no mismatch, yet a step back

        Verdict verdict = check.verdict();
        assertThat(verdict.wentBack()).isEqualTo(1);
        assertThat(verdict.clean()).isTrue();
        assertThat(verdict.examples()).singleElement().asString().startsWith("went back: a at ");
    }

    private static SourceChange change(String id, long seconds, Operation operation, long seq) {
        return new SourceChange(id, streamed(seconds), operation, seq);
    }

    private static EntityVersion streamed(long seconds) {
        return EntityVersion.ofClusterTime(seconds, 1, 1);
    }

    private static EntityVersion copied(long seconds) {
        return EntityVersion.ofClusterTime(seconds, 1, 0);
    }

    private static ReplicaWrite live(String id, EntityVersion version) {
        return new ReplicaWrite(id, version, false);
    }

    private static ReplicaWrite deleted(String id, EntityVersion version) {
        return new ReplicaWrite(id, version, true);
    }
}
