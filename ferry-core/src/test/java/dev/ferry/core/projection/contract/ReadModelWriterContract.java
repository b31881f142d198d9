package dev.ferry.core.projection.contract;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.projection.ReadModelWriter.Outcome;

/**
 * What every {@link ReadModelWriter} guarantees; each implementation's test extends this and supplies writers and a
 * way to read what they stored. Each change is applied exactly once and only as the next version (contiguous
 * versions: a gap is refused; increasing ones: every increase, never a gap), a run leaves what its events one by one
 * leave, a removal keeps the version, a skip leaves a marker; racing writers never apply a version twice, shown by an
 * independent log of the writes ({@link #watch}), not by the writer's own account.
 */
@Timeout(60)
public abstract class ReadModelWriterContract {

    /** A writer of the read models under test; every writer made here writes the same store. */
    protected abstract ReadModelWriter newWriter();

    /** The aggregate's read model as stored, or null if there is none. */
    protected abstract Stored stored(Projection projection, String aggregateId);

    /** Starts logging every write to the projection's read models, independently of the writers. */
    protected abstract WriteLog watch(Projection projection);

    /**
     * Whether {@link #newWriter()}'s writers keep an apply log ({@link Stored#applied()}); a writer without one (a
     * deployment's default) runs every scenario except the assertions on that log.
     */
    protected boolean keepsApplyLog() {
        return true;
    }

    private void assertApplied(Stored stored, Long... versions) {
        if (keepsApplyLog()) {
            assertThat(stored.applied()).containsExactly(versions);
        }
    }

    /**
     * A read model as stored.
     *
     * @param state       its fields (JSON numbers that fit an int as Integer), null once removed or if never set
     * @param lastEventId the id of the last event applied (or skipped)
     * @param applied     the versions applied (and skipped), in order: the writer's own apply log
     * @param skipped     the markers of skipped events, in order
     */
    public record Stored(long version, boolean deleted, Map<String, Object> state, String lastEventId, List<Long> applied,
                            List<Skip> skipped) {
    }

    /** A skipped event's marker. */
    public record Skip(String eventId, String reason) {
    }

    /** One write as the independent log saw it: which read model, and the version it set (null if none). */
    public record Write(String id, Long version) {
    }

    /** An independent log of a projection's writes. */
    protected interface WriteLog extends AutoCloseable {

        /** Every write made before this call, in the order they happened. */
        List<Write> untilNow();

        @Override
        void close();
    }

    @Test
    void appliesInVersionOrderAndSkipsDuplicates() {
        ReadModelWriter writer = newWriter();
        Projection projection = projection();

        assertThat(writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\",\"ward\":1}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Eve\"}")))
            .isEqualTo(Outcome.DUPLICATE);
        assertThat(writer.apply(projection, event(2, "Moved"), new ReadModelChange.Merge("{\"ward\":2}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, event(3, "Noted"), ReadModelChange.UNCHANGED)).isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, event(2, "Moved"), new ReadModelChange.Merge("{\"ward\":9}")))
            .isEqualTo(Outcome.DUPLICATE);

        Stored stored = stored(projection, "p-1");
        assertThat(stored.version()).isEqualTo(3L);
        assertThat(stored.state()).containsEntry("name", "Ada").containsEntry("ward", 2);
        assertApplied(stored, 1L, 2L, 3L);
    }

    @Test
    void refusesAGapAndWritesNothing() {
        ReadModelWriter writer = newWriter();
        Projection projection = projection();
        writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\"}"));

        assertThat(writer.apply(projection, event(3, "Moved"), new ReadModelChange.Merge("{\"ward\":3}")))
            .isEqualTo(Outcome.GAP);
        assertThat(writer.version(projection, "p-1")).isEqualTo(1);
        assertThat(stored(projection, "p-1").state()).doesNotContainKey("ward");
    }

    @Test
    void aRemovalLeavesATombstoneThatKeepsTheVersionAndASkipLeavesAMarker() {
        ReadModelWriter writer = newWriter();
        Projection projection = projection();
        writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\"}"));
        writer.apply(projection, event(2, "Discharged"), ReadModelChange.REMOVE);
        assertThat(writer.skip(projection, event(3, "Broken"), "operator")).isEqualTo(Outcome.APPLIED);

        Stored stored = stored(projection, "p-1");
        assertThat(stored.deleted()).isTrue();
        assertThat(stored.state()).isNull();
        assertThat(stored.version()).isEqualTo(3L);
        assertThat(stored.skipped()).containsExactly(new Skip("e-3", "operator"));
        assertThat(writer.apply(projection, event(2, "Discharged"), ReadModelChange.REMOVE)).isEqualTo(Outcome.DUPLICATE);
    }

    @Test
    void aRunLeavesTheSameDocumentAsItsEventsAppliedOneByOne() {
        ReadModelWriter writer = newWriter();
        Projection oneByOne = projection();
        Projection asRun = projection();
        List<ReadModelWriter.Step> steps = List.of(
            new ReadModelWriter.Step(event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\",\"ward\":1}")),
            new ReadModelWriter.Step(event(2, "Moved"), new ReadModelChange.Merge("{\"ward\":2,\"bed\":7}")),
            new ReadModelWriter.Step(event(3, "Discharged"), ReadModelChange.REMOVE),
            new ReadModelWriter.Step(event(4, "Readmitted"), new ReadModelChange.Merge("{\"ward\":4}")),
            new ReadModelWriter.Step(event(5, "Noted"), ReadModelChange.UNCHANGED),
            new ReadModelWriter.Step(event(6, "Moved"), new ReadModelChange.Merge("{\"bed\":1}")));
        steps.forEach(step -> assertThat(writer.apply(oneByOne, step.event(), step.change())).isEqualTo(Outcome.APPLIED));

        assertThat(writer.applyRun(asRun, steps)).containsOnly(Outcome.APPLIED).hasSize(6);

        Stored expected = stored(oneByOne, "p-1");
        Stored actual = stored(asRun, "p-1");
        assertThat(actual.state()).isEqualTo(expected.state()).isEqualTo(Map.of("ward", 4, "bed", 1));
        assertThat(actual.deleted()).isFalse();
        assertThat(actual.version()).isEqualTo(6L);
        assertThat(actual.lastEventId()).isEqualTo("e-6");
        assertApplied(actual, 1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void aRunWithRepeatedVersionsAppliesEachOnceAndStopsAtAGap() {
        ReadModelWriter writer = newWriter();
        Projection projection = projection();
        writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"n\":1}"));
        List<ReadModelWriter.Step> run = LongStream.of(1, 2, 3, 2, 3, 4, 6, 7)
            .mapToObj(v -> new ReadModelWriter.Step(event(v, "Counted"), new ReadModelChange.Merge("{\"n\":" + v + "}")))
            .toList();

        assertThat(writer.applyRun(projection, run)).containsExactly(Outcome.DUPLICATE, Outcome.APPLIED, Outcome.APPLIED,
            Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.GAP, Outcome.GAP);
        Stored stored = stored(projection, "p-1");
        assertThat(stored.version()).isEqualTo(4L);
        assertThat(stored.state()).containsEntry("n", 4);
        assertApplied(stored, 1L, 2L, 3L, 4L);
    }

    @Test
    void aReplayedRunIsReportedAsDuplicatesNotAsApplied() {
        // The replayed events leave the read model exactly as it is (same version, same last event id): a writer must
        // tell that its own write did not land.
        ReadModelWriter writer = newWriter();
        Projection projection = projection();
        List<ReadModelWriter.Step> run = LongStream.rangeClosed(1, 3)
            .mapToObj(v -> new ReadModelWriter.Step(event(v, "Counted"), new ReadModelChange.Merge("{\"n\":" + v + "}")))
            .toList();
        assertThat(writer.applyRun(projection, run)).containsOnly(Outcome.APPLIED);

        assertThat(writer.applyRun(projection, run.subList(1, 3))).containsOnly(Outcome.DUPLICATE);
        assertThat(writer.applyRun(projection, run)).containsOnly(Outcome.DUPLICATE);
        assertApplied(stored(projection, "p-1"), 1L, 2L, 3L);
    }

    @Test
    void racingWritersApplyEveryVersionExactlyOnce() throws Exception {
        // Two writers (a previous owner finishing late and the new one) send overlapping runs of the same aggregates.
        ReadModelWriter first = newWriter();
        ReadModelWriter second = newWriter();
        Projection projection = projection();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> lanes = new ArrayList<>();
        try (WriteLog watched = watch(projection)) {
            for (int lane = 0; lane < 8; lane++) {
                ReadModelWriter writer = lane % 2 == 0 ? first : second;
                String aggregate = "a-" + lane / 2;
                lanes.add(pool.submit(() -> {
                    for (long from = 1; from <= 60; from += 6) {
                        List<ReadModelWriter.Step> run = new ArrayList<>();
                        for (long v = from; v < from + 6; v++) {
                            run.add(new ReadModelWriter.Step(new Event(aggregate + "-" + v, "patient", aggregate, v,
                                "Counted", Instant.now(), "{}", EventMetadata.NONE),
                                new ReadModelChange.Merge("{\"n\":" + v + "}")));
                        }
                        assertThat(writer.applyRun(projection, run)).doesNotContain(Outcome.GAP);
                    }
                    return null;
                }));
            }
            int applied = 0;
            for (Future<?> lane : lanes) {
                try {
                    lane.get(50, TimeUnit.SECONDS);
                } catch (ExecutionException e) {
                    // A lane's failed assertion is the contract's failure, reported as itself.
                    if (e.getCause() instanceof AssertionError assertion) {
                        throw assertion;
                    }
                    throw e;
                }
            }
            pool.shutdown();
            for (int a = 0; a < 4; a++) {
                assertThat(stored(projection, "a-" + a).version()).isEqualTo(60L);
            }
            // Every write must move its read model forward, and they must reach 60 for each: runs of 6 from aligned
            // versions, so exactly 10 writes each if none is repeated.
            List<Write> writes = watched.untilNow();
            Map<String, Long> at = new HashMap<>();
            for (Write write : writes) {
                long previous = at.getOrDefault(write.id(), 0L);
                assertThat(write.version()).as("a write of %s after version %d (all: %s)", write.id(), previous, writes)
                    .isNotNull().isGreaterThan(previous);
                at.put(write.id(), write.version());
                applied++;
            }
            assertThat(at).containsOnlyKeys("a-0", "a-1", "a-2", "a-3").allSatisfy((id, version) ->
                assertThat(version).isEqualTo(60L));
            assertThat(applied).isEqualTo(40);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void increasingVersionsApplyEveryIncreaseSkipEqualAndLowerOnesAndNeverReportAGap() {
        ReadModelWriter writer = newWriter();
        Projection projection = projection();

        assertThat(writer.apply(projection, increasing(1_000, "Created"), new ReadModelChange.Put("{\"name\":\"Ada\"}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, increasing(5_000, "Moved"), new ReadModelChange.Merge("{\"ward\":2}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, increasing(5_000, "Moved"), new ReadModelChange.Merge("{\"ward\":8}")))
            .isEqualTo(Outcome.DUPLICATE);
        assertThat(writer.apply(projection, increasing(4_999, "Moved"), new ReadModelChange.Merge("{\"ward\":9}")))
            .isEqualTo(Outcome.DUPLICATE);
        // A run as a topic delivers it after a relay failover: repeats, then new versions far apart.
        assertThat(writer.applyRun(projection, List.of(
            new ReadModelWriter.Step(increasing(1_000, "Created"), new ReadModelChange.Put("{\"name\":\"Eve\"}")),
            new ReadModelWriter.Step(increasing(5_000, "Moved"), new ReadModelChange.Merge("{\"ward\":9}")),
            new ReadModelWriter.Step(increasing(90_000, "Noted"), new ReadModelChange.Merge("{\"note\":\"x\"}")),
            new ReadModelWriter.Step(increasing(90_001, "Noted"), new ReadModelChange.Merge("{\"note\":\"y\"}")))))
            .containsExactly(Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.APPLIED);

        Stored stored = stored(projection, "p-1");
        assertThat(stored.version()).isEqualTo(90_001L);
        assertThat(stored.state()).containsEntry("name", "Ada").containsEntry("ward", 2).containsEntry("note", "y");
        assertApplied(stored, 1_000L, 5_000L, 90_000L, 90_001L);
    }

    /**
     * The documented outcome when a source breaks INCREASING's precondition (one writer order per key): a version
     * that arrives after a higher one is skipped as a duplicate, and its change never reaches the read model.
     */
    @Test
    void aWriterThatBreaksTheIncreasingOrderLosesTheLateVersionAsADuplicate() {
        ReadModelWriter writer = newWriter();
        Projection projection = projection();

        assertThat(writer.apply(projection, increasing(1, "Created"), new ReadModelChange.Put("{\"ward\":1}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, increasing(3, "Moved"), new ReadModelChange.Merge("{\"ward\":3}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, increasing(2, "Noted"), new ReadModelChange.Merge("{\"note\":\"late\"}")))
            .isEqualTo(Outcome.DUPLICATE);

        Stored stored = stored(projection, "p-1");
        assertThat(stored.version()).isEqualTo(3L);
        assertThat(stored.state()).containsEntry("ward", 3).doesNotContainKey("note");
    }

    @Test
    void runsOfSeveralAggregatesInOneCallGetEachTheOutcomesOfTheirOwnRun() {
        ReadModelWriter writer = newWriter();
        Projection projection = projection();
        writer.apply(projection, event("p-b", 1), new ReadModelChange.Put("{\"n\":1}"));

        List<List<Outcome>> outcomes = writer.applyRuns(projection, List.of(
            List.of(step("p-a", 1), step("p-a", 2)),
            List.of(step("p-b", 1), step("p-b", 2)),
            List.of(step("p-c", 2)),
            List.of()));

        assertThat(outcomes).containsExactly(List.of(Outcome.APPLIED, Outcome.APPLIED),
            List.of(Outcome.DUPLICATE, Outcome.APPLIED), List.of(Outcome.GAP), List.of());
        assertThat(stored(projection, "p-a").version()).isEqualTo(2L);
        assertThat(stored(projection, "p-b").state()).containsEntry("n", 2);
        assertThat(stored(projection, "p-c")).isNull();
    }

    private static ReadModelWriter.Step step(String aggregateId, long version) {
        return new ReadModelWriter.Step(event(aggregateId, version), new ReadModelChange.Merge("{\"n\":" + version + "}"));
    }

    private static Event event(String aggregateId, long version) {
        return new Event(aggregateId + "-e-" + version, "patient", aggregateId, version, "Counted", Instant.now(), "{}",
            EventMetadata.NONE);
    }

    /** A projection of its own for each use: read models of different tests never meet. */
    protected static Projection projection() {
        return Projection.named("patients_" + System.nanoTime()).forAggregateTypes("patient").build();
    }

    protected static Event event(long version, String type) {
        return new Event("e-" + version, "patient", "p-1", version, type, Instant.now(), "{}", EventMetadata.NONE);
    }

    protected static Event increasing(long version, String type) {
        return new Event("e-" + version, "patient", "p-1", version, type, Instant.now(), "{}", EventMetadata.NONE,
            VersionRule.INCREASING);
    }
}
