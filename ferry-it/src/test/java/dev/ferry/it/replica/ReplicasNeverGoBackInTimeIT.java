package dev.ferry.it.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static dev.ferry.it.support.ReplicaContents.lastWrites;
import static dev.ferry.it.support.ReplicaContents.mismatches;
import static dev.ferry.it.support.ReplicaContents.mongoVersions;
import static dev.ferry.it.support.ReplicaContents.postgresVersions;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Utils;

import org.bson.BsonDocument;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.mongodb.client.model.Updates;
import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.replica.ReplicaHistoryCheck;
import dev.ferry.embedded.postgres.PostgresUnderTest;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ReplicationProcessor;
import dev.ferry.it.support.CrudWriter;
import dev.ferry.it.support.EntitySources;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.mongodb.lease.MongoLeaseStore;
import dev.ferry.mongodb.relay.MongoGapLog;
import dev.ferry.mongodb.replica.MongoReplicaCollection;
import dev.ferry.mongodb.replica.MongoReplicaHistory;
import dev.ferry.mongodb.replica.MongoReplicaWriter;
import dev.ferry.postgres.replica.PostgresReplicaHistory;
import dev.ferry.postgres.replica.PostgresReplicaWriter;
import dev.ferry.postgres.replica.PostgresTable;
import dev.ferry.postgres.replica.PostgresTarget;

/**
 * Replicas never go back in time, measured independently: concurrent creates, updates, replaces, deletes and
 * re-creates of patients and practitioners are relayed and replicated by two replicators per target into a MongoDB and
 * a PostgreSQL replica, through faults that each land mid-work, confirmed from the broker and the stores themselves:
 * <ul>
 *   <li>the leading relay killed with changes published past its checkpoint (so its successor publishes them again);</li>
 *   <li>one replicator of each target killed with records applied to its replica and not acknowledged (so they are
 *       delivered again to the successor), one of its writes frozen just before it reaches the database, and woken
 *       after the successor wrote newer versions (a zombie's late write);</li>
 *   <li>the PostgreSQL server stopped under load — its replicator pauses, spending no retries — and started again.</li>
 * </ul>
 * At the end both replicas equal the source, document by document (BSON types included; PostgreSQL's jsonb equal to the
 * canonical Extended JSON), and the independent logs of every write to the replicas — a trigger into a history table, a
 * change stream on the MongoDB replica — show no version lower than one already written, no version written twice and
 * no write after a newer delete. Each of the version checks (the plan over the stored version, MongoDB's conditional
 * upsert, PostgreSQL's {@code WHERE cur.version < EXCLUDED.version}) is needed for that: without any one of them this
 * test fails.
 */
@Timeout(300)
class ReplicasNeverGoBackInTimeIT extends PipelineFixture {

    private static final List<String> ENTITIES = List.of("patient", "practitioner");
    private static final int WRITERS_PER_ENTITY = 2;
    private static final int IDS_PER_WRITER = 40;
    private static final int OPERATIONS_PER_WRITER = Integer.getInteger("ferry.replication.operations", 300);
    private static final ProcessorSettings REPLICATOR = ProcessorSettings.DEFAULT.withLaneThreads(8);
    private static final String MONGO = "mongo-replica";
    private static final String POSTGRES = "pg-replica";
    /** The replicators' consumer groups: this and the target's name. */
    private static final String GROUP = "ferry-replica-";
    /** Relay leaders aimed at before giving up on killing one mid-work. */
    private static final int KILL_ATTEMPTS = 5;

    private PostgresUnderTest postgres;
    private HikariDataSource pool;
    private KafkaView broker;
    private final List<AutoCloseable> closed = new ArrayList<>();

    @BeforeEach
    void startPostgres() {
        postgres = PostgresUnderTest.start("ferry_it");
    }

    @AfterEach
    void stopPostgres() throws Exception {
        Exception failed = null;
        for (AutoCloseable resource : closed) {
            try {
                resource.close(); // each one, whatever the others did: relays, threads and clients are not left behind
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
    void bothReplicasEndExactAndNeverGoBackThroughRelayAndReplicatorKillsAndAPostgresRestart() throws Exception {
        String database = pipeline.database().getName();
        HeldAcknowledgements acks = new HeldAcknowledgements();
        List<ChangeStreamRelay> relays = startRelays(acks);
        MongoDatabase replicaDatabase = pipeline.client().getDatabase(database + "_replica");
        List<MongoReplicaHistory> mongoHistories = new ArrayList<>();
        List<PostgresReplicaHistory> postgresHistories = new ArrayList<>();
        PostgresTarget target = new PostgresTarget(postgres.jdbcUrl(), null, null, 8, Duration.ofDays(7),
            ENTITIES.stream().map(PostgresTable::of).toList());
        pool = PostgresReplicaWriter.pool(target);
        new PostgresReplicaWriter(pool, target.tables(), Duration.ofDays(7), Clock.systemUTC()).createTables();
        for (String entity : ENTITIES) {
            MongoReplicaHistory history = MongoReplicaHistory.watch(replicaDatabase.getCollection(entity,
                BsonDocument.class));
            mongoHistories.add(history);
            closed.add(history);
            postgresHistories.add(PostgresReplicaHistory.install(pool, entity));
        }
        // Replicator "a" of each target is the one killed: its writes can be frozen mid-write (FrozenWrites).
        FrozenWrites mongoFrozen = new FrozenWrites();
        FrozenWrites postgresFrozen = new FrozenWrites();
        closed.add(() -> { // a test failing with a write frozen leaves no lane thread stuck
            mongoFrozen.release();
            postgresFrozen.release();
        });
        List<MongoReplicaCollection> collections = ENTITIES.stream().map(MongoReplicaCollection::of).toList();
        ReplicationProcessor mongoA = pipeline.startReplicator("a", MONGO, Set.copyOf(ENTITIES),
            mongoFrozen.writer(new MongoReplicaWriter(mongoFrozen.mongo(replicaDatabase), collections,
                Duration.ofDays(7), Clock.systemUTC())), REPLICATOR);
        ReplicationProcessor postgresA = pipeline.startReplicator("a", POSTGRES, Set.copyOf(ENTITIES),
            postgresFrozen.writer(new PostgresReplicaWriter(postgresFrozen.postgres(pool), target.tables(),
                Duration.ofDays(7), Clock.systemUTC())), REPLICATOR);
        pipeline.startReplicator("b", MONGO, Set.copyOf(ENTITIES), new MongoReplicaWriter(replicaDatabase, collections,
            Duration.ofDays(7), Clock.systemUTC()), REPLICATOR);
        ReplicationProcessor postgresB = pipeline.startReplicator("b", POSTGRES, Set.copyOf(ENTITIES),
            new PostgresReplicaWriter(pool, target.tables(), Duration.ofDays(7), Clock.systemUTC()), REPLICATOR);
        broker = new KafkaView(pipeline.kafkaSettings().bootstrapServers());
        closed.add(broker);

        Map<String, List<String>> expected = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        List<CompletableFuture<Void>> writers = new ArrayList<>();
        for (String entity : ENTITIES) {
            for (int w = 0; w < WRITERS_PER_ENTITY; w++) {
                CrudWriter writer = new CrudWriter(pipeline.database().getCollection(entity), w, IDS_PER_WRITER,
                    OPERATIONS_PER_WRITER, expected, done);
                writers.add(CompletableFuture.runAsync(writer::run));
            }
        }
        // The CRUD writers may be done within seconds; a steady trickle of updates into every partition keeps work in
        // flight at each fault, whenever it comes.
        SteadyUpdates steady = new SteadyUpdates(pipeline.database(), ENTITIES, ids("steady"));
        closed.add(steady);
        steady.start();
        int total = ENTITIES.size() * WRITERS_PER_ENTITY * OPERATIONS_PER_WRITER;
        awaitDone(done, total / 5);

        List<KafkaView.Entry> notCheckpointed = killLeaderMidWork(relays, acks);

        Map<String, List<KafkaView.Entry>> notAcknowledged = killReplicatorsMidWrite(replicaDatabase,
            Map.of(MONGO, mongoA, POSTGRES, postgresA), Map.of(MONGO, mongoFrozen, POSTGRES, postgresFrozen));

        postgres.stopServer();
        // The outage is met: the surviving replicator pauses its partitions rather than spending retries (parking).
        await().atMost(Duration.ofSeconds(60)).until(() -> !postgresB.status().paused().isEmpty());
        postgres.startServer();
        CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get(5, TimeUnit.MINUTES); // seconds of load; a stuck writer fails here, not at the class timeout
        steady.close();

        // Bound: the replicators catch up with the backlog the faults left; a failure names what still differs.
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
            .untilAsserted(() -> assertThat(mismatches(pipeline.database(), replicaDatabase, pool, ENTITIES)).as("replicas unlike the source").isEmpty());
        int compared = 0;
        for (String entity : ENTITIES) {
            compared += (int) pipeline.database().getCollection(entity).countDocuments();
        }
        assertThat(compared).as("documents compared").isPositive();

        // The faults' redeliveries reached the writers: the relay's successor published again every change the killed
        // leader had published past its checkpoint, and each group's committed offsets went past every record applied
        // and not acknowledged at the kill: the successor read them again and finished them.
        List<KafkaView.Entry> published = broker.entries(topics());
        assertThat(notCheckpointed.stream().filter(lost -> published.stream().noneMatch(again -> again.epoch()
            > lost.epoch() && again.key().equals(lost.key()) && again.version().equals(lost.version()))).toList())
            .as("changes published past the checkpoint by the killed leader (%s of them) and never published again by "
                + "a later term", notCheckpointed.size()).isEmpty();
        notAcknowledged.forEach((replica, entries) -> {
            Map<TopicPartition, Long> committed = broker.committed(GROUP + replica);
            for (KafkaView.Entry entry : entries) {
                assertThat(committed.getOrDefault(entry.partition(), 0L)).as("%s group's offset of %s past %s (applied,"
                    + " not acknowledged at the kill)", replica, entry.partition(), entry)
                    .isGreaterThan(entry.offset());
            }
        });

        // The independent logs saw every write: each one's last write of an id is what the replica holds.
        for (int i = 0; i < ENTITIES.size(); i++) {
            String entity = ENTITIES.get(i);
            MongoReplicaHistory mongoHistory = mongoHistories.get(i);
            MongoCollection<BsonDocument> replica = replicaDatabase.getCollection(entity, BsonDocument.class);
            // Bound: the stream only has to read writes already committed; seconds even on a loaded machine.
            await().atMost(Duration.ofSeconds(30)).until(() -> mongoHistory.notCaughtUpWith(replica).isEmpty());
            assertThat(lastWrites(mongoHistory.writes())).as("MongoDB %s history", entity)
                .isEqualTo(mongoVersions(replicaDatabase, entity));
            assertThat(lastWrites(postgresHistories.get(i).writes())).as("PostgreSQL %s history", entity)
                .isEqualTo(postgresVersions(pool, entity));
        }
        // Repeats must be 0 too: both writers write a version only over a lower one (MongoDB: the upsert's filter on
        // the stored version; PostgreSQL: WHERE cur.version < EXCLUDED.version), so even a change redelivered after a
        // kill is skipped, never written again.
        for (MongoReplicaHistory history : mongoHistories) {
            ReplicaHistoryCheck.Verdict verdict = history.check();
            assertThat(verdict.writes()).isPositive();
            assertThat(history.unreadable()).as("MongoDB replica events not readable as a write: %s",
                history.unreadableExamples()).isZero();
            // Tombstones are kept 7 days: no replica document may be deleted during the test.
            assertThat(history.deletes()).as("MongoDB replica documents deleted").isZero();
            assertThat(verdict.orderViolations()).as("MongoDB replica order violations: %s", verdict.examples())
                .isZero();
            assertThat(verdict.resurrections()).as("MongoDB replica resurrections: %s", verdict.examples()).isZero();
            assertThat(verdict.repeats()).as("MongoDB replica repeats: %s", verdict.examples()).isZero();
        }
        for (PostgresReplicaHistory history : postgresHistories) {
            // The trigger logs every INSERT and UPDATE of a row (the only writes that carry a version): nothing in it
            // is unreadable, and a row's writes are logged in the order its row lock gave them.
            ReplicaHistoryCheck.Verdict verdict = history.check();
            assertThat(verdict.writes()).isPositive();
            assertThat(verdict.orderViolations()).as("PostgreSQL replica order violations: %s", verdict.examples())
                .isZero();
            assertThat(verdict.resurrections()).as("PostgreSQL replica resurrections: %s", verdict.examples())
                .isZero();
            assertThat(verdict.repeats()).as("PostgreSQL replica repeats: %s", verdict.examples()).isZero();
        }
        assertThat(pipeline.parkedEvents().projections()).as("nothing parked").isEmpty();
    }

    /**
     * Kills the leading relay while it has changes published and not checkpointed: once it streams, the broker's
     * acknowledgements are held from it ({@link HeldAcknowledgements}), so it publishes on and cannot checkpoint; it is
     * killed once the topics hold changes of its term past the checkpoint the lease document holds, and that is read
     * again after the kill (no successor can checkpoint while the acknowledgements are held). A leader deposed before
     * its kill (a lease lost on a loaded machine) is no kill of a leader: the next leader is aimed at instead, up to
     * {@link #KILL_ATTEMPTS} times.
     *
     * @return the changes the killed leader published past its checkpoint: its successor is to publish them again
     */
    private List<KafkaView.Entry> killLeaderMidWork(List<ChangeStreamRelay> relays, HeldAcknowledgements acks) {
        List<String> attempts = new ArrayList<>();
        for (int attempt = 1; attempt <= KILL_ATTEMPTS; attempt++) {
            AtomicReference<ChangeStreamRelay> streaming = new AtomicReference<>();
            AtomicLong streamingEpoch = new AtomicLong();
            // Bound: the steady updates keep a leader streaming once its copy is done, within seconds.
            await("a relay leader streaming").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                .until(() -> {
                    for (ChangeStreamRelay relay : relays) {
                        RelayStatus status = relay.status();
                        if (status.role() == RelayStatus.Role.LEADER && broker.entries(topics()).stream()
                            .anyMatch(e -> e.epoch() == status.epoch() && !copied(e))) {
                            streaming.set(relay);
                            streamingEpoch.set(status.epoch());
                            return true;
                        }
                    }
                    return false;
                });
            ChangeStreamRelay leader = streaming.get();
            long epoch = streamingEpoch.get();
            acks.hold();
            try {
                // Bound: the steady updates are published at once, acknowledged or not.
                await("changes of epoch " + epoch + " published past the checkpoint, or its leader deposed")
                    .atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !leads(leader, epoch) || !pastCheckpoint(epoch).isEmpty());
                if (!leads(leader, epoch)) {
                    attempts.add("the leader of epoch " + epoch + " was deposed before its kill");
                    continue;
                }
                leader.kill();
                List<KafkaView.Entry> lost = pastCheckpoint(epoch);
                assertThat(lost).as("changes published past the checkpoint when the relay leader of epoch %d was "
                    + "killed (checkpoint %s)", epoch, checkpoint()).isNotEmpty();
                System.out.printf("relay leader of epoch %d killed with %d changes published past the checkpoint of "
                    + "epoch %s, sequence %s (after %s)%n", epoch, lost.size(), checkpoint().get("epoch"),
                    checkpoint().get("sequence"), attempts);
                return lost;
            } finally {
                acks.release();
            }
        }
        throw new AssertionError("no relay leader could be killed mid-work: " + attempts);
    }

    private static boolean leads(ChangeStreamRelay relay, long epoch) {
        RelayStatus status = relay.status();
        return status.role() == RelayStatus.Role.LEADER && status.epoch() == epoch;
    }

    private static boolean copied(KafkaView.Entry entry) {
        return entry.version().endsWith(".0000000000"); // a copied document's version: it has no change's time
    }

    /**
     * Changes streamed in this term that the topics hold past the checkpoint the lease document holds: the term
     * numbered its records on from the checkpoint it started after, so those past it are not checkpointed. None if the
     * checkpoint is a later term's.
     */
    private List<KafkaView.Entry> pastCheckpoint(long epoch) {
        Document checkpoint = checkpoint();
        long sequence = checkpoint == null ? 0 : ((Number) checkpoint.get("sequence")).longValue();
        if (checkpoint != null && ((Number) checkpoint.get("epoch")).longValue() > epoch) {
            return List.of();
        }
        return broker.entries(topics()).stream().filter(e -> e.epoch() == epoch && e.sequence() > sequence
            && !copied(e)).toList();
    }

    /** The relay's checkpoint as its lease document holds it (read from MongoDB, not from the relay). */
    private Document checkpoint() {
        Document lease = pipeline.leaseDocument();
        return lease == null ? null : lease.get("checkpoint", Document.class);
    }

    /**
     * Kills replicator "a" of each target in the middle of its work, and wakes it once overtaken.
     * <ol>
     *   <li>Probe ids are created, one in each partition of each topic, so "a" owns some. Its first write of one is
     *       frozen mid-write: planned, before the write reaches the database ({@link FrozenWrites}). Its partition's acknowledgement cannot pass that record, while the steady
     *       updates behind it in the same partition are applied: applied, not acknowledged.</li>
     *   <li>Once the broker's committed offsets show that (read with an AdminClient, compared with the replica), "a" is
     *       killed in process: its engine stops acknowledging and starting writes at once, interrupts its lanes and
     *       stays in the group as a crashed consumer does; the frozen write stays frozen. The offsets are read again
     *       once its polling thread (the only one that commits) is gone and while the coordinator still has it own
     *       the partitions: those are its final acknowledgements, and records above them are already in the replica.</li>
     *   <li>The probes are updated twice (newer than anything "a" planned); the successor owns the partitions after
     *       the session timeout and writes them. Then the frozen writes are released: a zombie's late writes over a
     *       replica that moved on. Each replica must still hold every probe's last update.</li>
     * </ol>
     *
     * @return per target, the records applied and not acknowledged when its "a" was killed
     */
    private Map<String, List<KafkaView.Entry>> killReplicatorsMidWrite(MongoDatabase replicaDatabase,
                                                                    Map<String, ReplicationProcessor> killed,
                                                                    Map<String, FrozenWrites> frozen) throws Exception {
        List<String> probes = new ArrayList<>();
        ids("probe").forEach((entity, ids) -> ids.forEach(id -> probes.add(entity + "/" + id)));
        frozen.values().forEach(writes -> writes.freeze(probes.stream().map(p -> p.split("/")[1])
            .collect(Collectors.toSet()), 1));
        ids("probe").forEach((entity, ids) -> ids.forEach(id -> pipeline.database().getCollection(entity)
            .insertOne(new Document("_id", id).append("step", 1))));
        // Bound: each "a" owns half the partitions, so one of the probes is its to write within seconds.
        frozen.forEach((replica, writes) -> await("a write of a probe by " + replica + " replicator a frozen")
            .atMost(Duration.ofSeconds(60)).until(() -> writes.frozen() > 0));
        // Bound: the steady updates reach every partition several times a second.
        killed.keySet().forEach(replica -> await("records applied to the " + replica + " replica past its group's "
            + "committed offsets").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).until(() -> !appliedNotAcknowledged(replicaDatabase,
            replica).isEmpty()));
        List<CompletableFuture<Void>> kills = killed.values().stream()
            .map(replicator -> CompletableFuture.runAsync(replicator::kill)).toList();
        Map<String, List<KafkaView.Entry>> notAcknowledged = new HashMap<>();
        for (String replica : killed.keySet()) {
            // Bound: the polling thread ends at its next poll (100 ms) or commit.
            await().atMost(Duration.ofSeconds(30)).until(() -> !pollingThreadAlive(replica));
            Set<TopicPartition> owned = broker.members(GROUP + replica).get(replica + "-a");
            List<KafkaView.Entry> applied = appliedNotAcknowledged(replicaDatabase, replica);
            assertThat(broker.members(GROUP + replica).get(replica + "-a")).as("%s replicator a still owns its "
                + "partitions (the offsets read are its own, no successor's)", replica).isEqualTo(owned).isNotNull();
            assertThat(applied).as("records applied to the %s replica and not acknowledged when its replicator a was "
                + "killed", replica).isNotEmpty();
            notAcknowledged.put(replica, applied);
            System.out.printf("%s replicator a killed with %d records applied and not acknowledged (committed %s)%n",
                replica, applied.size(), broker.committed(GROUP + replica));
        }
        for (int step = 2; step <= 3; step++) {
            for (String probe : probes) {
                String[] at = probe.split("/");
                pipeline.database().getCollection(at[0]).updateOne(Filters.eq("_id", at[1]), Updates.set("step", step));
            }
        }
        // Bound: the session timeout (6 s), a rebalance and the redelivered backlog.
        await("the successors wrote every probe's last update").atMost(Duration.ofSeconds(90))
            .pollInterval(Duration.ofMillis(200)).until(() -> probesNotAt(replicaDatabase, probes, 3).isEmpty());
        frozen.values().forEach(FrozenWrites::release);
        frozen.forEach((replica, writes) -> await("the frozen writes of " + replica + " replicator a finished")
            .atMost(Duration.ofSeconds(30)).until(() -> writes.finished() == writes.frozen()));
        List<String> behind = probesNotAt(replicaDatabase, probes, 3);
        frozen.forEach((replica, writes) -> assertThat(behind).filteredOn(line -> line.startsWith(replica))
            .as("probes gone back in the %s replica after its replicator a, overtaken, woke and wrote (%s)", replica,
                writes.outcomes()).isEmpty());
        frozen.forEach((replica, writes) -> System.out.printf("%s replicator a's frozen writes, once woken: %s%n",
            replica, writes.outcomes()));
        CompletableFuture.allOf(kills.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        return notAcknowledged;
    }

    /**
     * The records of the partitions replicator "a" owns, at or past the group's committed offsets, whose version the
     * replica already holds or has passed: applied (by whoever owned the partition) and not acknowledged, so they
     * will be delivered again.
     */
    private List<KafkaView.Entry> appliedNotAcknowledged(MongoDatabase replicaDatabase, String replica)
        throws SQLException {
        Set<TopicPartition> owned = broker.members(GROUP + replica).getOrDefault(replica + "-a", Set.of());
        Map<TopicPartition, Long> committed = broker.committed(GROUP + replica);
        Map<TopicPartition, Long> from = new HashMap<>();
        owned.forEach(partition -> from.put(partition, committed.getOrDefault(partition, 0L)));
        List<KafkaView.Entry> entries = broker.entries(from);
        Map<String, Map<String, String>> versions = new HashMap<>();
        for (String entity : ENTITIES) {
            versions.put(pipeline.topicPrefix() + entity, replica.equals(MONGO) ? mongoVersions(replicaDatabase, entity)
                : postgresVersions(pool, entity));
        }
        return entries.stream().filter(entry -> {
            String stored = versions.get(entry.partition().topic()).get(entry.key());
            return stored != null && new EntityVersion(stored).compareTo(new EntityVersion(entry.version())) >= 0;
        }).toList();
    }

    private static boolean pollingThreadAlive(String replica) {
        return Thread.getAllStackTraces().keySet().stream()
            .anyMatch(thread -> thread.getName().equals("engine-" + replica + "-a") && thread.isAlive());
    }

    /** The probes either replica does not hold at this step, as lines. */
    private List<String> probesNotAt(MongoDatabase replicaDatabase, List<String> probes, int step)
        throws SQLException {
        List<String> behind = new ArrayList<>();
        for (String probe : probes) {
            String[] at = probe.split("/");
            BsonDocument document = replicaDatabase.getCollection(at[0], BsonDocument.class)
                .find(Filters.eq("_id", at[1])).first();
            if (document == null || !document.containsKey("step") || document.getInt32("step").getValue() != step) {
                behind.add(MONGO + " " + probe + ": " + document);
            }
            try (Connection connection = pool.getConnection();
                 PreparedStatement select = connection.prepareStatement("SELECT document::text FROM " + at[0]
                     + " WHERE id = ?")) {
                select.setString(1, at[1]);
                try (ResultSet row = select.executeQuery()) {
                    String json = row.next() ? row.getString(1) : null;
                    BsonDocument stored = json == null ? null : BsonDocument.parse(json);
                    if (stored == null || !stored.containsKey("step") || stored.getInt32("step").getValue() != step) {
                        behind.add(POSTGRES + " " + probe + ": " + json);
                    }
                }
            }
        }
        return behind;
    }

    /** Per entity, one id of this kind per partition of its topic (the publisher's murmur2 of the key). */
    private Map<String, List<String>> ids(String kind) {
        int partitions = pipeline.kafkaSettings().partitions();
        Map<String, List<String>> ids = new TreeMap<>();
        for (String entity : ENTITIES) {
            String[] byPartition = new String[partitions];
            int found = 0;
            for (int i = 0; found < partitions; i++) {
                String id = kind + "-" + entity + "-" + i;
                int partition = Utils.toPositive(Utils.murmur2(id.getBytes(StandardCharsets.UTF_8))) % partitions;
                if (byPartition[partition] == null) {
                    byPartition[partition] = id;
                    found++;
                }
            }
            ids.put(entity, List.of(byPartition));
        }
        return ids;
    }

    private List<String> topics() {
        return ENTITIES.stream().map(entity -> pipeline.topicPrefix() + entity).toList();
    }

    /**
     * Two relay instances of the entity collections, wired as {@link dev.ferry.it.support.Pipeline} wires them, but for
     * their publishers: the broker's acknowledgements reach them through {@code acks}.
     */
    private List<ChangeStreamRelay> startRelays(HeldAcknowledgements acks) {
        KafkaPublishers publishers = new KafkaPublishers(pipeline.kafkaSettings());
        publishers.ensureTopic(pipeline.deadLetterTopic());
        EntitySources sources = new EntitySources(pipeline, ENTITIES);
        List<ChangeStreamRelay> relays = new ArrayList<>();
        closed.add(() -> {
            relays.forEach(ChangeStreamRelay::kill);
            publishers.close();
        });
        for (String instance : List.of("r1", "r2")) {
            ChangeStreamRelay relay = new ChangeStreamRelay(pipeline.settings(), instance, sources.changeSource(),
                sources.copy(), acks.around(publishers), pipeline.checkpoints(),
                new MongoLeaseStore(pipeline.database(), Pipeline.LEASES),
                new MongoGapLog(pipeline.database(), Pipeline.GAPS));
            relays.add(relay);
            relay.start();
        }
        return relays;
    }

    private static void awaitDone(AtomicInteger done, int operations) {
        await().atMost(Duration.ofSeconds(120)).until(() -> done.get() >= operations);
    }
}
