package dev.ferry.mongodb.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoDatabase;

import dev.ferry.mongodb.MongoTestDatabase;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.event.VersionRule;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.projection.ReadModelWriter;
import dev.ferry.core.projection.ReadModelWriter.Outcome;

/** Each change is applied exactly once, only as the next version; a gap is refused, a skip leaves a marker. */
@Timeout(60)
class MongoReadModelWriterIT {

    private static MongoTestDatabase mongo;
    private static MongoDatabase database;

    @BeforeAll
    static void connect() {
        mongo = MongoTestDatabase.start("ferry_readmodel");
        database = mongo.database();
    }

    @AfterAll
    static void disconnect() {
        mongo.close();
    }

    private static Projection projection() {
        return Projection.named("patients_" + System.nanoTime()).forAggregateTypes("patient").build();
    }

    private static Event event(long version, String type) {
        return new Event("e-" + version, "patient", "p-1", version, type, Instant.now(), "{}", EventMetadata.NONE);
    }

    private static Document document(Projection projection) {
        return database.getCollection(projection.name()).find(new Document("_id", "p-1")).first();
    }

    @Test
    void appliesInVersionOrderAndSkipsDuplicates() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, true);
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

        Document document = document(projection);
        assertThat(document.get("_version")).isEqualTo(3L);
        assertThat(document.get("state", Document.class)).containsEntry("name", "Ada").containsEntry("ward", 2);
        assertThat(document.getList("_applyLog", Long.class)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void refusesAGapAndWritesNothing() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, false);
        Projection projection = projection();
        writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\"}"));

        assertThat(writer.apply(projection, event(3, "Moved"), new ReadModelChange.Merge("{\"ward\":3}")))
            .isEqualTo(Outcome.GAP);
        assertThat(writer.version(projection, "p-1")).isEqualTo(1);
        assertThat(document(projection).get("state", Document.class)).doesNotContainKey("ward");
    }

    @Test
    void aRemovalLeavesATombstoneThatKeepsTheVersionAndASkipLeavesAMarker() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, false);
        Projection projection = projection();
        writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"name\":\"Ada\"}"));
        writer.apply(projection, event(2, "Discharged"), ReadModelChange.REMOVE);
        assertThat(writer.skip(projection, event(3, "Broken"), "operator")).isEqualTo(Outcome.APPLIED);

        Document document = document(projection);
        assertThat(document).containsEntry("_deleted", true).doesNotContainKey("state").containsEntry("_version", 3L);
        assertThat(document.getList("_skipped", Document.class)).singleElement()
            .satisfies(marker -> assertThat(marker).containsEntry("eventId", "e-3").containsEntry("reason", "operator"));
        assertThat(writer.apply(projection, event(2, "Discharged"), ReadModelChange.REMOVE)).isEqualTo(Outcome.DUPLICATE);
    }
    @Test
    void aRunLeavesTheSameDocumentAsItsEventsAppliedOneByOne() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, true);
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

        Document expected = document(oneByOne);
        Document actual = document(asRun);
        assertThat(actual.get("state")).isEqualTo(expected.get("state")).isEqualTo(new Document("ward", 4).append("bed", 1));
        assertThat(actual).doesNotContainKey("_deleted").containsEntry("_version", 6L).containsEntry("_lastEventId", "e-6");
        assertThat(actual.getList("_applyLog", Long.class)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
    }

    @Test
    void aRunWithRepeatedVersionsAppliesEachOnceAndStopsAtAGap() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, true);
        Projection projection = projection();
        writer.apply(projection, event(1, "Registered"), new ReadModelChange.Put("{\"n\":1}"));
        List<ReadModelWriter.Step> run = java.util.stream.LongStream.of(1, 2, 3, 2, 3, 4, 6, 7)
            .mapToObj(v -> new ReadModelWriter.Step(event(v, "Counted"), new ReadModelChange.Merge("{\"n\":" + v + "}")))
            .toList();

        assertThat(writer.applyRun(projection, run)).containsExactly(Outcome.DUPLICATE, Outcome.APPLIED, Outcome.APPLIED,
            Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.GAP, Outcome.GAP);
        Document document = document(projection);
        assertThat(document).containsEntry("_version", 4L);
        assertThat(document.get("state", Document.class)).containsEntry("n", 4);
        assertThat(document.getList("_applyLog", Long.class)).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void aReplayedRunIsReportedAsDuplicatesNotAsApplied() {
        // The replayed events leave the document exactly as it is (same version, same last event id): only the
        // write's own id can tell that this write did not land.
        MongoReadModelWriter writer = new MongoReadModelWriter(database, true);
        Projection projection = projection();
        List<ReadModelWriter.Step> run = java.util.stream.LongStream.rangeClosed(1, 3)
            .mapToObj(v -> new ReadModelWriter.Step(event(v, "Counted"), new ReadModelChange.Merge("{\"n\":" + v + "}")))
            .toList();
        assertThat(writer.applyRun(projection, run)).containsOnly(Outcome.APPLIED);

        assertThat(writer.applyRun(projection, run.subList(1, 3))).containsOnly(Outcome.DUPLICATE);
        assertThat(writer.applyRun(projection, run)).containsOnly(Outcome.DUPLICATE);
        assertThat(document(projection).getList("_applyLog", Long.class)).containsExactly(1L, 2L, 3L);
    }

    @Test
    void racingWritersApplyEveryVersionExactlyOnce() throws Exception {
        // Two writers (a previous owner finishing late and the new one) send overlapping runs of the same aggregates.
        MongoReadModelWriter first = new MongoReadModelWriter(database, false);
        MongoReadModelWriter second = new MongoReadModelWriter(database, false);
        Projection projection = projection();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> lanes = new ArrayList<>();
        try (ReadModelWrites watched = ReadModelWrites.watch(database.getCollection(projection.name()))) {
            for (int lane = 0; lane < 8; lane++) {
                MongoReadModelWriter writer = lane % 2 == 0 ? first : second;
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
                lane.get(50, TimeUnit.SECONDS);
            }
            pool.shutdown();
            for (int a = 0; a < 4; a++) {
                Document document = database.getCollection(projection.name()).find(new Document("_id", "a-" + a)).first();
                assertThat(document).containsEntry("_version", 60L);
            }
            // Every write must move its document forward, and they must reach 60 for each: runs of 6 from aligned
            // versions, so exactly 10 writes each if none is repeated.
            List<ReadModelWrites.Write> writes = watched.untilNow(database.getCollection(projection.name()),
                Duration.ofSeconds(30));
            java.util.Map<String, Long> at = new java.util.HashMap<>();
            for (ReadModelWrites.Write write : writes) {
                long previous = at.getOrDefault(write.id(), 0L);
                assertThat(write.version()).as("a write of %s after version %d (all: %s)", write.id(), previous, writes)
                    .isNotNull().isGreaterThan(previous);
                at.put(write.id(), write.version());
                applied++;
            }
            assertThat(at).containsOnlyKeys("a-0", "a-1", "a-2", "a-3").allSatisfy((id, version) ->
                assertThat(version).isEqualTo(60L));
            assertThat(applied).isEqualTo(40);
        }
    }

    private static Event increasing(long version, String type) {
        return new Event("e-" + version, "patient", "p-1", version, type, Instant.now(), "{}", EventMetadata.NONE,
            VersionRule.INCREASING);
    }

    @Test
    void increasingVersionsApplyEveryIncreaseSkipEqualAndLowerOnesAndNeverReportAGap() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, true);
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

        Document document = document(projection);
        assertThat(document.get("_version")).isEqualTo(90_001L);
        assertThat(document.get("state", Document.class)).containsEntry("name", "Ada").containsEntry("ward", 2)
            .containsEntry("note", "y");
        assertThat(document.getList("_applyLog", Long.class)).containsExactly(1_000L, 5_000L, 90_000L, 90_001L);
    }

    /**
     * The documented outcome when a source breaks INCREASING's precondition (one writer order per key): a version
     * that arrives after a higher one is skipped as a duplicate, and its change never reaches the read model.
     */
    @Test
    void aWriterThatBreaksTheIncreasingOrderLosesTheLateVersionAsADuplicate() {
        MongoReadModelWriter writer = new MongoReadModelWriter(database, false);
        Projection projection = projection();

        assertThat(writer.apply(projection, increasing(1, "Created"), new ReadModelChange.Put("{\"ward\":1}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, increasing(3, "Moved"), new ReadModelChange.Merge("{\"ward\":3}")))
            .isEqualTo(Outcome.APPLIED);
        assertThat(writer.apply(projection, increasing(2, "Noted"), new ReadModelChange.Merge("{\"note\":\"late\"}")))
            .isEqualTo(Outcome.DUPLICATE);

        Document document = document(projection);
        assertThat(document.get("_version")).isEqualTo(3L);
        assertThat(document.get("state", Document.class)).containsEntry("ward", 3).doesNotContainKey("note");
    }
}
