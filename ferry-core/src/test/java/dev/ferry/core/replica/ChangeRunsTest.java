package dev.ferry.core.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ChangeRuns.Plan;
import dev.ferry.core.replica.ChangeRuns.Run;
import dev.ferry.core.replica.ReplicaWriter.Outcome;

class ChangeRunsTest {

    @Test
    void cutsABatchIntoOneRunPerIdKeepingEachIdsOrder() {
        List<EntityChange> batch = List.of(change("a", 1), change("b", 1), change("a", 2), change("b", 3), change("a", 3));

        List<Run> runs = ChangeRuns.of(batch).runs();

        assertThat(runs).extracting(Run::id).containsExactly("a", "b");
        assertThat(runs.get(0).changes()).extracting(c -> c.version().wire()).containsExactly(v(1).wire(), v(2).wire(), v(3).wire());
        assertThat(runs.get(0).positions()).containsExactly(0, 2, 4);
        assertThat(runs.get(1).positions()).containsExactly(1, 3);
    }

    @Test
    void theSameIdOfTwoEntitiesIsTwoRuns() {
        EntityChange patient = change("a", 1);
        EntityChange practitioner = new EntityChange("practitioner", "a", EntityOperation.CREATE, v(1), "{}", null, "db", "c", 1, 1);

        assertThat(ChangeRuns.of(List.of(patient, practitioner)).runs()).hasSize(2);
    }

    @Test
    void onlyVersionsAboveTheStoredOneAndEveryEarlierAppliedOneAreApplied() {
        Run run = ChangeRuns.of(List.of(change("a", 2), change("a", 5), change("a", 4), change("a", 5), change("a", 6))).runs().get(0);

        Plan plan = run.plan(v(3));

        assertThat(plan.outcomes()).containsExactly(Outcome.DUPLICATE, Outcome.APPLIED, Outcome.DUPLICATE,
            Outcome.DUPLICATE, Outcome.APPLIED);
        assertThat(plan.write().version()).isEqualTo(v(6));
    }

    @Test
    void aRunAtOrBelowTheStoredVersionWritesNothing() {
        Run run = ChangeRuns.of(List.of(change("a", 1), change("a", 2))).runs().get(0);

        Plan plan = run.plan(v(2));

        assertThat(plan.outcomes()).containsOnly(Outcome.DUPLICATE);
        assertThat(plan.write()).isNull();
    }

    @Test
    void anUpdateWithoutADocumentIsNotWrittenAndADeleteAfterItIs() {
        EntityChange lookupFoundNothing = new EntityChange("patient", "a", EntityOperation.UPDATE, v(2), null, null, "db", "c", 2, 1);
        EntityChange delete = new EntityChange("patient", "a", EntityOperation.DELETE, v(3), null, null, "db", "c", 3, 1);
        Run run = ChangeRuns.of(List.of(change("a", 1), lookupFoundNothing, delete)).runs().get(0);

        Plan plan = run.plan(null);

        assertThat(plan.outcomes()).containsExactly(Outcome.APPLIED, Outcome.NO_DOCUMENT, Outcome.APPLIED);
        assertThat(plan.write()).isSameAs(delete);
    }

    @Test
    void aPlanOverNothingStoredIsThePlanOverAnyVersionBelowItsFloor() {
        EntityChange lookupFoundNothing = new EntityChange("patient", "a", EntityOperation.UPDATE, v(3), null, null, "db", "c", 3, 1);
        Run run = ChangeRuns.of(List.of(change("a", 4), change("a", 2), lookupFoundNothing, change("a", 6), change("a", 5)))
            .runs().get(0);

        Plan overNothing = run.plan(null);

        assertThat(overNothing.outcomes()).containsExactly(Outcome.APPLIED, Outcome.DUPLICATE, Outcome.DUPLICATE,
            Outcome.APPLIED, Outcome.DUPLICATE);
        assertThat(overNothing.floor()).isEqualTo(v(4));
        assertThat(run.plan(v(3)).outcomes()).isEqualTo(overNothing.outcomes());
        assertThat(run.plan(v(4)).outcomes()).as("at the floor the plan differs").isNotEqualTo(overNothing.outcomes());
    }

    @Test
    void theFloorCountsAChangeFoundWithoutADocument() {
        EntityChange lookupFoundNothing = new EntityChange("patient", "a", EntityOperation.UPDATE, v(2), null, null, "db", "c", 2, 1);
        Run run = ChangeRuns.of(List.of(lookupFoundNothing, change("a", 3))).runs().get(0);

        assertThat(run.plan(null).outcomes()).containsExactly(Outcome.NO_DOCUMENT, Outcome.APPLIED);
        assertThat(run.plan(null).floor()).isEqualTo(v(2));
        assertThat(run.plan(v(2)).outcomes()).containsExactly(Outcome.DUPLICATE, Outcome.APPLIED);
    }

    @Test
    void outcomesGoBackToTheBatchsOrder() {
        List<EntityChange> batch = List.of(change("a", 1), change("b", 1), change("a", 1));
        ChangeRuns runs = ChangeRuns.of(batch);

        List<Outcome> outcomes = runs.outcomes(runs.runs().stream().map(run -> run.plan(null)).toList());

        assertThat(outcomes).containsExactly(Outcome.APPLIED, Outcome.APPLIED, Outcome.DUPLICATE);
    }

    @Test
    void aRefusedRunTakesAllItsChangesAndTheOthersKeepTheirOutcomes() {
        List<EntityChange> batch = List.of(change("a", 1), change("b", 1), change("a", 2), change("c", 1));
        ChangeRuns runs = ChangeRuns.of(batch);
        Run refused = runs.runs().get(0);
        IllegalStateException cause = new IllegalStateException("value too long for type character varying(3)");

        assertThatThrownBy(() -> runs.outcomes(runs.runs().subList(1, 3).stream().map(run -> run.plan(null)).toList(),
            Map.of(refused, cause)))
            .isInstanceOfSatisfying(ChangesRejected.class, rejected -> {
                assertThat(rejected.outcomes()).containsExactly(null, Outcome.APPLIED, null, Outcome.APPLIED);
                assertThat(rejected.causes()).containsOnlyKeys(0, 2).containsValue(cause);
            });
    }

    @Test
    void aBatchOfOneRefusedRunThrowsItsOwnCause() {
        ChangeRuns runs = ChangeRuns.of(List.of(change("a", 1), change("a", 2)));
        IllegalStateException cause = new IllegalStateException("refused");

        assertThatThrownBy(() -> runs.outcomes(List.of(), Map.of(runs.runs().get(0), cause))).isSameAs(cause);
    }

    static EntityVersion v(long n) {
        return EntityVersion.ofClusterTime(n, 1, 1);
    }

    static EntityChange change(String id, long version) {
        return new EntityChange("patient", id, EntityOperation.UPDATE, v(version), "{\"_id\":\"" + id + "\"}", null,
            "db", "patients", version, 1);
    }
}
