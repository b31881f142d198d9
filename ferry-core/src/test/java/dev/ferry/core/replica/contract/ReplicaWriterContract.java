package dev.ferry.core.replica.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ReplicaHistoryCheck;
import dev.ferry.core.replica.ReplicaHistoryCheck.Verdict;
import dev.ferry.core.replica.ReplicaWrite;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.replica.ReplicaWriter.Outcome;
import dev.ferry.core.replica.ReplicaWriter.StoredVersion;

/**
 * What every {@link ReplicaWriter} guarantees; each implementation's test extends this and supplies a {@link Replica}:
 * a replica never goes back in time (changes late, repeated or out of order are duplicates), a tombstone keeps an older
 * change from bringing its id back, redelivered batches change nothing, only expired tombstones are purged, and racing
 * writers never fail and never overwrite a newer version. The evidence is the replica's own independent write log
 * ({@link Replica#history()}: a trigger's table, a change stream), never the writer's word.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
public abstract class ReplicaWriterContract {

    /** The entity of every change here. */
    protected static final String ENTITY = "patient";

    private static final AtomicInteger MARKERS = new AtomicInteger();

    /**
     * A new, empty replica of {@link #ENTITY}, whose writers keep tombstones for one hour of the clock
     * {@link #advanceClock} moves.
     */
    protected abstract Replica newReplica();

    /** Moves the clock the writers stamp tombstones with and purge by. */
    protected abstract void advanceClock(Duration by);

    /** One replica under test, and the technology's ways of looking at it behind the writer. */
    protected interface Replica {

        ReplicaWriter writer();

        /**
         * Another writer of this replica that runs {@code action} after it has read a batch's stored versions and
         * before it writes the batch: where a rival's write is the race to stage. The action may run on every attempt.
         */
        ReplicaWriter writerRacedBy(Runnable action);

        /** The writes of the replica's independent log seen so far, in the order they happened (it may trail). */
        List<ReplicaWrite> history();

        /** Asserts that the replica holds {@code id} live, with exactly this document (canonical Extended JSON). */
        void assertHolds(String id, String documentJson);

        /** Asserts that {@code id} is a tombstone of {@code version} written now: no document, the time of deletion. */
        void assertTombstone(String id, EntityVersion version);

        /** Everything the replica stores, comparable by equals: any field or timestamp written again changes it. */
        Object snapshot();

        /** Writes behind every writer's back an old live state of {@code id}, at {@code version}, over what it holds. */
        void plantLiveState(String id, EntityVersion version);
    }

    @Test
    void changesOutOfOrderAndRedeliveredNeverGoBackInTime() {
        Replica replica = newReplica();
        replica.writer().write(List.of(update("a", 3)));

        List<Outcome> outcomes = replica.writer().write(List.of(create("a", 1), update("a", 2), update("a", 5),
            update("a", 4), update("a", 3)));

        assertThat(outcomes).containsExactly(Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.APPLIED, Outcome.DUPLICATE,
            Outcome.DUPLICATE);
        assertThat(replica.writer().stored(ENTITY, "a")).contains(new StoredVersion(v(5), false));
        replica.assertHolds("a", patient("a", 5));
        List<ReplicaWrite> history = historyUntilNow(replica);
        assertThat(verdict(history).clean()).isTrue();
        assertThat(history).extracting(ReplicaWrite::version).containsExactly(v(3), v(5));
    }

    @Test
    void aTombstoneStopsAnOlderCreateOrUpdateFromResurrectingTheId() {
        Replica replica = newReplica();
        replica.writer().write(List.of(create("a", 1), delete("a", 4)));

        List<Outcome> late = replica.writer().write(List.of(create("a", 2), update("a", 3)));

        assertThat(late).containsOnly(Outcome.DUPLICATE);
        assertThat(replica.writer().stored(ENTITY, "a")).contains(new StoredVersion(v(4), true));
        replica.assertTombstone("a", v(4));
        Verdict verdict = verdict(historyUntilNow(replica));
        assertThat(verdict.resurrections()).isZero();
        assertThat(verdict.clean()).isTrue();
    }

    @Test
    void aReCreateWithAHigherVersionRevivesTheId() {
        Replica replica = newReplica();
        replica.writer().write(List.of(create("a", 1), delete("a", 2)));

        List<Outcome> outcomes = replica.writer().write(List.of(create("a", 3)));

        assertThat(outcomes).containsExactly(Outcome.APPLIED);
        assertThat(replica.writer().stored(ENTITY, "a")).contains(new StoredVersion(v(3), false));
        replica.assertHolds("a", patient("a", 3));
        assertThat(verdict(historyUntilNow(replica)).clean()).isTrue();
    }

    @Test
    void redeliveredChangesAreReportedAsDuplicatesAndLeaveTheReplicaUnchanged() {
        Replica replica = newReplica();
        List<EntityChange> batch = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            String id = "p" + i;
            batch.add(create(id, 1));
            batch.add(update(id, 2));
            if (i % 3 == 0) {
                batch.add(delete(id, 3));
            }
        }
        assertThat(replica.writer().write(batch)).containsOnly(Outcome.APPLIED);
        Object before = replica.snapshot();

        advanceClock(Duration.ofMinutes(5)); // a tombstone written again would show a new time of deletion
        List<Outcome> again = replica.writer().write(batch);

        assertThat(again).hasSize(batch.size()).containsOnly(Outcome.DUPLICATE);
        assertThat(replica.snapshot()).isEqualTo(before);
        assertThat(historyUntilNow(replica)).as("one write per id, none for the redelivery").hasSize(60);
    }

    @Test
    void onlyTombstonesOlderThanTheRetentionArePurged() {
        Replica replica = newReplica();
        replica.writer().write(List.of(create("old", 1), delete("old", 2), create("live", 1)));
        advanceClock(Duration.ofMinutes(30));
        replica.writer().write(List.of(create("recent", 1), delete("recent", 2)));
        advanceClock(Duration.ofMinutes(31)); // "old" is 61 minutes old, "recent" 31

        long purged = replica.writer().purgeTombstones();

        assertThat(purged).isEqualTo(1);
        assertThat(replica.writer().stored(ENTITY, "old")).isEmpty();
        assertThat(replica.writer().stored(ENTITY, "recent")).contains(new StoredVersion(v(2), true));
        assertThat(replica.writer().stored(ENTITY, "live")).contains(new StoredVersion(v(1), false));
    }

    /** Writers racing on one id (a lane handover): a collided write is a duplicate, never a failure; nothing goes back. */
    @Test
    void racingWritersOfOneIdNeverFailAndNeverGoBack() throws Exception {
        Replica replica = newReplica();
        int versions = 40;
        ExecutorService writers = Executors.newFixedThreadPool(4);
        try {
            List<Callable<Long>> tasks = new ArrayList<>();
            for (int w = 0; w < 4; w++) {
                Random random = new Random(w);
                tasks.add(() -> {
                    List<Integer> order = new ArrayList<>();
                    for (int n = 1; n <= versions; n++) {
                        order.add(n);
                    }
                    Collections.shuffle(order, random);
                    long applied = 0;
                    for (int n : order) {
                        applied += replica.writer().write(List.of(n % 9 == 0 ? delete("a", n) : update("a", n))).stream()
                            .filter(outcome -> outcome == Outcome.APPLIED).count();
                    }
                    return applied;
                });
            }
            long applied = 0;
            for (Future<Long> result : writers.invokeAll(tasks)) {
                applied += result.get(60, TimeUnit.SECONDS);
            }

            assertThat(replica.writer().stored(ENTITY, "a")).contains(new StoredVersion(v(versions), false));
            Verdict verdict = verdict(historyUntilNow(replica));
            assertThat(verdict.examples()).isEmpty();
            assertThat(verdict.clean()).isTrue();
            assertThat(verdict.writes()).as("each write reported applied is one in the replica's log").isEqualTo(applied);
        } finally {
            writers.shutdownNow();
        }
    }

    /**
     * The write's version condition alone keeps the replica from going back: a rival writes a newer version of an id
     * this writer found absent when it read the stored versions, just before this writer writes (staged
     * deterministically by {@link Replica#writerRacedBy}).
     */
    @Test
    void aNewerVersionWrittenBetweenTheReadAndTheWriteIsNeverOverwritten() {
        Replica replica = newReplica();
        AtomicInteger raced = new AtomicInteger();
        ReplicaWriter writer = replica.writerRacedBy(() -> {
            if (raced.getAndIncrement() == 0) {
                assertThat(replica.writer().write(List.of(update("a", 9)))).containsExactly(Outcome.APPLIED);
            }
        });

        List<Outcome> outcomes = writer.write(List.of(update("a", 3)));

        assertThat(raced.get()).as("the rival wrote between the read and the write").isPositive();
        assertThat(outcomes).containsExactly(Outcome.DUPLICATE);
        assertThat(replica.writer().stored(ENTITY, "a")).contains(new StoredVersion(v(9), false));
        replica.assertHolds("a", patient("a", 9));
        List<ReplicaWrite> history = historyUntilNow(replica);
        assertThat(verdict(history).examples()).isEmpty();
        assertThat(history).containsExactly(new ReplicaWrite("a", v(9), false));
    }

    /** The evidence itself: the replica's log shows a write that went back in time, made behind the writer's back. */
    @Test
    void theHistoryCatchesAWriteThatWentBackInTime() {
        Replica replica = newReplica();
        replica.writer().write(List.of(create("a", 1), delete("a", 5)));

        replica.plantLiveState("a", v(2)); // an old live state over the tombstone

        await().atMost(Duration.ofSeconds(30)).until(() -> verdict(replica.history()).orderViolations() == 1);
        Verdict verdict = verdict(replica.history());
        assertThat(verdict.resurrections()).isEqualTo(1);
        assertThat(verdict.examples()).anySatisfy(example -> assertThat(example).startsWith("resurrection: a"));
    }

    /**
     * Every write the replica's log holds from before this call: a marker id is written last and the log read up to it
     * (the log keeps the order of the writes), so a log that trails the writes undercounts nothing.
     */
    protected static List<ReplicaWrite> historyUntilNow(Replica replica) {
        String marker = "marker-" + MARKERS.incrementAndGet();
        assertThat(replica.writer().write(List.of(create(marker, 1)))).containsExactly(Outcome.APPLIED);
        ReplicaWrite written = new ReplicaWrite(marker, v(1), false);
        await().atMost(Duration.ofSeconds(30)).until(() -> replica.history().contains(written));
        List<ReplicaWrite> history = replica.history();
        return List.copyOf(history.subList(0, history.indexOf(written)));
    }

    protected static Verdict verdict(List<ReplicaWrite> writes) {
        ReplicaHistoryCheck check = new ReplicaHistoryCheck();
        check.recordAll(writes);
        return check.verdict();
    }

    /** Version n: cluster time (n, 1), position 1. */
    protected static EntityVersion v(long n) {
        return EntityVersion.ofClusterTime(n, 1, 1);
    }

    /** A small patient document whose name says its version. */
    protected static String patient(String id, long version) {
        return "{\"_id\": \"" + id + "\", \"name\": \"v" + version + "\", \"visits\": {\"$numberLong\": \"" + version + "\"}}";
    }

    protected static EntityChange create(String id, long version) {
        return change(id, EntityOperation.CREATE, version, patient(id, version));
    }

    protected static EntityChange update(String id, long version) {
        return change(id, EntityOperation.UPDATE, version, patient(id, version));
    }

    protected static EntityChange delete(String id, long version) {
        return change(id, EntityOperation.DELETE, version, null);
    }

    protected static EntityChange change(String id, EntityOperation operation, long version, String document) {
        return new EntityChange(ENTITY, id, operation, v(version), document, null, "clinic", "patients", version, 1);
    }
}
