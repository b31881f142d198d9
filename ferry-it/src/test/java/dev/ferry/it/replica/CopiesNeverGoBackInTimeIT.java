package dev.ferry.it.replica;

import static dev.ferry.it.support.ReplicaContents.lastWrites;
import static dev.ferry.it.support.ReplicaContents.mismatches;
import static dev.ferry.it.support.ReplicaContents.mongoVersions;
import static dev.ferry.it.support.ReplicaContents.postgresVersions;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import org.awaitility.core.ConditionTimeoutException;
import org.bson.BsonDocument;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.relay.spi.CheckpointStore.Checkpoint;
import dev.ferry.core.relay.spi.CheckpointStore.CopyProgress;
import dev.ferry.core.replica.DocumentedWrite;
import dev.ferry.core.replica.ReplicaHistoryCheck;
import dev.ferry.core.replica.ReplicaStateCheck;
import dev.ferry.embedded.postgres.PostgresUnderTest;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.EntitySources;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.mongodb.replica.MongoReplicaCollection;
import dev.ferry.mongodb.replica.MongoReplicaHistory;
import dev.ferry.mongodb.replica.MongoReplicaWriter;
import dev.ferry.postgres.replica.PostgresReplicaHistory;
import dev.ferry.postgres.replica.PostgresReplicaWriter;
import dev.ferry.postgres.replica.PostgresTable;
import dev.ferry.postgres.replica.PostgresTarget;

/**
 * A copy of an entity collection made while the collection changes never takes a replica back to an older state.
 * Versions alone cannot show that ({@link ReplicaHistoryCheck}: a copy that reads a document after it changed and
 * publishes it at a version from before the change, followed by the change at its own higher version, writes versions
 * that ascend while the states go back). So every state the writers write carries a per-id counter, {@code seq}; the
 * source's own change stream, opened before anything is written, is the truth ({@link SourceHistory}); and every write
 * the replicas' independent logs saw (a change stream on the MongoDB replica, a trigger on the PostgreSQL one) must
 * show the source's state at the write's version ({@link ReplicaStateCheck}), versions ascending
 * ({@link ReplicaHistoryCheck}), and both replicas end equal to the source.
 * <ul>
 *   <li>The initial copy: {@value #DEFAULT_DOCUMENTS} patients (-Dferry.copy.documents) are stored before any relay
 *       runs; the first leader copies them while writers update, replace, delete, re-create and create patients,
 *       stored ones and new ones; it is killed mid-copy (its checkpoint shows some documents copied and the copy not
 *       complete) and the standby continues the copy, then streams.</li>
 *   <li>A copy requested by an operator while the relay streams and the writers write.</li>
 * </ul>
 * {@code -Dferry.copy.writers=0} is the control: no writes during the copies, where any copy passes; a failure then is
 * the test's, not the copy's.
 */
@Timeout(300)
class CopiesNeverGoBackInTimeIT extends PipelineFixture {

    private static final String ENTITY = "patient";
    private static final int DEFAULT_DOCUMENTS = 20_000;
    private static final int DOCUMENTS = Integer.getInteger("ferry.copy.documents", DEFAULT_DOCUMENTS);
    private static final int WRITERS = Integer.getInteger("ferry.copy.writers", 2);
    /** Ids each writer creates, besides its share of the stored ones. */
    private static final int FRESH_IDS_PER_WRITER = 500;
    /** One stored id in this many of a writer's share is hot: written as often as all its other ids together. */
    private static final int HOT_ONE_IN = 100;
    /** Between two writes of one writer: a load the relay and both replicators keep up with on 2 cores. */
    private static final Duration PACE = Duration.ofMillis(2);
    /** Writes made after the copy is complete, streamed only, before the writers stop. */
    private static final int WRITES_AFTER_COPY = 200;
    private static final ProcessorSettings REPLICATOR = ProcessorSettings.DEFAULT.withLaneThreads(8);

    private PostgresUnderTest postgres;
    private HikariDataSource pool;
    private final List<SeqWriter> writers = new ArrayList<>();
    private final List<AutoCloseable> closed = new ArrayList<>();
    private MongoDatabase replicaDatabase;
    private SourceHistory source;
    private MongoReplicaHistory mongoHistory;
    private PostgresReplicaHistory postgresHistory;

    @BeforeEach
    void startPostgres() {
        postgres = PostgresUnderTest.start("ferry_it");
    }

    @AfterEach
    void stopEverything() throws Exception {
        writers.forEach(SeqWriter::stop);
        if (replicaDatabase != null && !mongo.isEmbedded()) {
            replicaDatabase.drop(); // the pipeline drops its own database; a real server keeps the replica's otherwise
        }
        Exception failed = null;
        for (AutoCloseable resource : closed) {
            try {
                resource.close(); // each one, whatever the others did: threads and cursors are not left behind
            } catch (Exception e) {
                failed = failed == null ? e : failed;
            }
        }
        if (pool != null) {
            pool.close();
        }
        postgres.close();
        if (failed != null) {
            throw failed;
        }
    }

    @Test
    void anInitialCopyWhoseLeaderIsKilledMidCopyNeverTakesAReplicaBack() throws Exception {
        List<String> stored = storeWatchedAndReplicated();
        String relayName = pipeline.settings().name();
        EntitySources sources = new EntitySources(pipeline, List.of(ENTITY));
        CompletableFuture<Void> writing = startWriters(stored);
        List<ChangeStreamRelay> relays = new ArrayList<>();
        for (String instance : List.of("r1", "r2")) {
            relays.add(pipeline.startRelay(instance, sources.changeSource(), sources.copy()));
        }

        // Bound: the first leader starts copying within seconds; a batch of 1,000 is checkpointed once acknowledged.
        AtomicReference<ChangeStreamRelay> copying = new AtomicReference<>();
        await("a leader part-way through the initial copy").atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(10)).until(() -> {
                CopyProgress progress = copyProgress(relayName).orElse(null);
                if (progress == null || progress.complete() || progress.copied() < DOCUMENTS / 4) {
                    return false;
                }
                relays.stream().filter(relay -> relay.status().role() == RelayStatus.Role.LEADER).findFirst()
                    .ifPresent(copying::set);
                return copying.get() != null;
            });
        ChangeStreamRelay killed = copying.get();
        long killedEpoch = killed.status().epoch();
        long writesBeforeKill = writes();
        killed.kill();
        Checkpoint atKill = pipeline.checkpoints().load(relayName).orElseThrow();
        CopyProgress progressAtKill = atKill.copies().get(ENTITY);
        assertThat(progressAtKill.copied()).as("documents copied when the leader of epoch %d was killed (checkpoint of "
            + "epoch %d)", killedEpoch, atKill.epoch()).isPositive().isLessThan(DOCUMENTS);
        assertThat(progressAtKill.complete()).as("the copy complete at the kill").isFalse();
        System.out.printf("CopiesNeverGoBackInTimeIT: relay leader of epoch %d killed mid-copy: %d of %d documents "
            + "copied and checkpointed, %d writes made so far%n", killedEpoch, progressAtKill.copied(), DOCUMENTS,
            writesBeforeKill);

        ChangeStreamRelay standby = relays.get(relays.indexOf(killed) == 0 ? 1 : 0);
        // Bound: the lease expires, then the standby copies the rest (seconds) and checkpoints it.
        await("the standby continued the copy to its end").atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> copyProgress(relayName).map(CopyProgress::complete).orElse(false));
        assertThat(standby.status().role()).isEqualTo(RelayStatus.Role.LEADER);
        assertThat(standby.status().epoch()).isGreaterThan(killedEpoch);
        long writesDuringCopy = writes();
        if (WRITERS > 0) {
            assertThat(writesDuringCopy).as("writes made while the copy ran, after the kill too")
                .isGreaterThan(writesBeforeKill).isGreaterThan(0);
        }

        stopWriters(writing, writesDuringCopy);
        assertReplicasNeverWentBack("initial copy, leader killed mid-copy");
    }

    @Test
    void aCopyRequestedWhileTheRelayStreamsNeverTakesAReplicaBack() throws Exception {
        List<String> stored = storeWatchedAndReplicated();
        String relayName = pipeline.settings().name();
        EntitySources sources = new EntitySources(pipeline, List.of(ENTITY));
        pipeline.startRelay("r1", sources.changeSource(), sources.copy());
        // Bound: the initial copy (no writes yet) takes seconds.
        await("the initial copy done").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
            .until(() -> copyProgress(relayName).map(CopyProgress::complete).orElse(false));

        CompletableFuture<Void> writing = startWriters(stored);
        // Bound: the writers start at once and write hundreds a second.
        await("writes before the request").atMost(Duration.ofSeconds(30)).until(() -> writes() >= 100 || WRITERS == 0);
        pipeline.checkpoints().requestCopy(relayName, ENTITY);
        // Bound: the leader looks for requests every second, and clears one once its copy is checkpointed as begun.
        await("the requested copy taken up").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(10))
            .until(() -> !pipeline.checkpoints().copyRequests(relayName).contains(ENTITY));
        long writesAtRequest = writes();
        await("the requested copy done").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
            .until(() -> copyProgress(relayName).map(CopyProgress::complete).orElse(false));
        long writesDuringCopy = writes();
        if (WRITERS > 0) {
            assertThat(writesDuringCopy).as("writes made while the requested copy ran").isGreaterThan(writesAtRequest);
        }
        System.out.printf("CopiesNeverGoBackInTimeIT: requested copy of %d documents ran over writes %d .. %d%n",
            DOCUMENTS, writesAtRequest, writesDuringCopy);

        stopWriters(writing, writesDuringCopy);
        assertReplicasNeverWentBack("copy requested while streaming");
    }

    /**
     * Opens the truth (the source's change stream) and the replicas' logs, starts one replicator per target, and only
     * then stores the documents the copy reads.
     *
     * @return the stored ids
     */
    private List<String> storeWatchedAndReplicated() {
        MongoCollection<BsonDocument> collection = pipeline.database().getCollection(ENTITY, BsonDocument.class);
        source = SourceHistory.watch(collection);
        closed.add(source);
        replicaDatabase = pipeline.client().getDatabase(pipeline.database().getName() + "_replica");
        PostgresTarget target = new PostgresTarget(postgres.jdbcUrl(), null, null, 8, Duration.ofDays(7),
            List.of(PostgresTable.of(ENTITY)));
        pool = PostgresReplicaWriter.pool(target);
        new PostgresReplicaWriter(pool, target.tables(), Duration.ofDays(7), Clock.systemUTC()).createTables();
        mongoHistory = MongoReplicaHistory.watch(replicaDatabase.getCollection(ENTITY, BsonDocument.class));
        closed.add(mongoHistory);
        postgresHistory = PostgresReplicaHistory.install(pool, ENTITY);
        pipeline.startReplicator("a", "mongo-replica", Set.of(ENTITY), new MongoReplicaWriter(replicaDatabase,
            List.of(MongoReplicaCollection.of(ENTITY)), Duration.ofDays(7), Clock.systemUTC()), REPLICATOR);
        pipeline.startReplicator("a", "pg-replica", Set.of(ENTITY), new PostgresReplicaWriter(pool, target.tables(),
            Duration.ofDays(7), Clock.systemUTC()), REPLICATOR);
        return SeqWriter.preload(pipeline.database().getCollection(ENTITY), "p-", DOCUMENTS);
    }

    /** Writers over the stored ids (each its share) and ids of their own to create. */
    private CompletableFuture<Void> startWriters(List<String> stored) {
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int w = 0; w < WRITERS; w++) {
            int writer = w;
            List<String> share = IntStream.range(0, stored.size()).filter(i -> i % WRITERS == writer)
                .mapToObj(stored::get).toList();
            List<String> fresh = IntStream.range(0, FRESH_IDS_PER_WRITER).mapToObj(i -> "new-" + writer + "-" + i)
                .toList();
            List<String> hot = IntStream.range(0, share.size()).filter(i -> i % HOT_ONE_IN == 0).mapToObj(share::get)
                .toList();
            SeqWriter seqWriter = new SeqWriter(pipeline.database().getCollection(ENTITY), share, fresh, hot, writer,
                PACE);
            writers.add(seqWriter);
            running.add(CompletableFuture.runAsync(seqWriter));
        }
        return CompletableFuture.allOf(running.toArray(new CompletableFuture[0]));
    }

    private long writes() {
        return writers.stream().mapToLong(SeqWriter::operations).sum();
    }

    /** Lets the writers go on past the copy for a while (streamed only), then stops them. */
    private void stopWriters(CompletableFuture<Void> writing, long writesAtCopyEnd) throws Exception {
        if (WRITERS > 0) {
            // Bound: the writers write hundreds a second.
            await().atMost(Duration.ofSeconds(60)).until(() -> writes() >= writesAtCopyEnd + WRITES_AFTER_COPY);
        }
        writers.forEach(SeqWriter::stop);
        writing.get(30, TimeUnit.SECONDS); // a writer that failed fails here
    }

    private Optional<CopyProgress> copyProgress(String relayName) {
        return pipeline.checkpoints().load(relayName).map(checkpoint -> checkpoint.copies().get(ENTITY));
    }

    /**
     * Once the pipeline has drained: both replicas equal the source, their logs saw every write, and every write
     * showed the source's state at its version, versions ascending. A replica that never becomes equal (a copied state
     * the stream's later changes, skipped as older, cannot correct) is reported with the checks of its writes.
     */
    private void assertReplicasNeverWentBack(String scenario) throws Exception {
        List<String> unlike;
        try {
            // Bound: the replicators catch up with the copy and the writes behind it.
            await("both replicas equal to the source").atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofSeconds(2)).until(() -> unlikeSource().isEmpty());
            unlike = List.of();
        } catch (ConditionTimeoutException e) {
            unlike = unlikeSource();
        }
        assertThat(pipeline.database().getCollection(ENTITY).countDocuments()).as("documents compared").isPositive();
        MongoCollection<BsonDocument> sourceCollection = pipeline.database().getCollection(ENTITY, BsonDocument.class);
        MongoCollection<BsonDocument> mongoReplica = replicaDatabase.getCollection(ENTITY, BsonDocument.class);
        // Bound: the logs only have to read writes already committed; seconds even on a loaded machine.
        await("the source's own history read to its end").atMost(Duration.ofSeconds(30))
            .until(() -> source.notCaughtUpWith(sourceCollection).isEmpty());
        await("the MongoDB replica's log read to its end").atMost(Duration.ofSeconds(30))
            .until(() -> mongoHistory.notCaughtUpWith(mongoReplica).isEmpty());
        assertThat(lastWrites(mongoHistory.writes())).as("MongoDB replica log").isEqualTo(mongoVersions(replicaDatabase,
            ENTITY));
        assertThat(lastWrites(postgresHistory.writes())).as("PostgreSQL replica log")
            .isEqualTo(postgresVersions(pool, ENTITY));
        assertThat(mongoHistory.unreadable()).as("MongoDB replica log: unreadable %s",
            mongoHistory.unreadableExamples()).isZero();

        List<ReplicaStateCheck.SourceChange> truth = source.changes();
        ReplicaStateCheck.Verdict mongoStates = states(truth, mongoHistory.documentedWrites());
        ReplicaStateCheck.Verdict postgresStates = states(truth, postgresHistory.documentedWrites());
        ReplicaHistoryCheck.Verdict mongoVersionsVerdict = mongoHistory.check();
        ReplicaHistoryCheck.Verdict postgresVersionsVerdict = postgresHistory.check();
        String verdicts = String.format("%n  MongoDB replica states: %s%n  MongoDB replica versions: %s%n  PostgreSQL "
            + "replica states: %s%n  PostgreSQL replica versions: %s", mongoStates, mongoVersionsVerdict,
            postgresStates, postgresVersionsVerdict);
        System.out.printf("CopiesNeverGoBackInTimeIT (%s): %d documents stored first, %d source changes, %d writes by "
            + "%d writers, %d ids unlike the source after draining%s%n", scenario, DOCUMENTS, truth.size(), writes(),
            WRITERS, unlike.size(), verdicts);
        assertThat(unlike.size()).as("ids unlike the source in a replica after draining (the first: %s); the checks "
            + "of the replicas' writes:%s", unlike.subList(0, Math.min(10, unlike.size())), verdicts).isZero();
        assertThat(mongoStates.clean() && postgresStates.clean() && mongoVersionsVerdict.clean()
            && postgresVersionsVerdict.clean()).as("every write of both replicas the source's state at its version, "
                + "versions ascending:%s", verdicts).isTrue();
    }

    /** What differs between the source and either replica, as lines. */
    private List<String> unlikeSource() throws SQLException {
        return mismatches(pipeline.database(), replicaDatabase, pool, List.of(ENTITY));
    }

    private static ReplicaStateCheck.Verdict states(List<ReplicaStateCheck.SourceChange> truth,
                                                    List<DocumentedWrite> writes) {
        ReplicaStateCheck check = new ReplicaStateCheck(truth);
        for (DocumentedWrite write : writes) {
            BsonDocument document = write.documentJson() == null ? null : BsonDocument.parse(write.documentJson());
            check.record(write.write(), document != null && document.isNumber("seq")
                ? document.getNumber("seq").longValue() : null);
        }
        return check.verdict();
    }
}
