package dev.ferry.it.replica;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.bson.BsonDocument;
import org.bson.BsonDocumentWrapper;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.mongodb.MongoClientSettings;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.MongoDatabase;
import com.mongodb.client.model.Filters;
import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.replica.ReplicaHistoryCheck;
import dev.ferry.core.replica.ReplicaWrite;
import dev.ferry.embedded.postgres.PostgresUnderTest;
import dev.ferry.engine.ProjectorSettings;
import dev.ferry.engine.ReplicationProcessor;
import dev.ferry.it.support.CrudWriter;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;
import dev.ferry.mongodb.entity.EntityChanges;
import dev.ferry.mongodb.entity.EntityKeys;
import dev.ferry.mongodb.entity.EntitySource;
import dev.ferry.mongodb.replica.MongoReplicaCollection;
import dev.ferry.mongodb.replica.MongoReplicaHistory;
import dev.ferry.mongodb.replica.MongoReplicaWriter;
import dev.ferry.postgres.replica.PostgresReplicaHistory;
import dev.ferry.postgres.replica.PostgresReplicaWriter;
import dev.ferry.postgres.replica.PostgresTable;
import dev.ferry.postgres.replica.PostgresTarget;

/**
 * Replicas never go back in time, measured independently: concurrent creates, updates, replaces, deletes and
 * re-creates of patients and practitioners are relayed (the leader relay killed abruptly mid-run) and replicated by
 * two replicators per target into a MongoDB and a PostgreSQL replica (one replicator of each killed mid-run, the
 * PostgreSQL server stopped under load — its replicator pauses, spending no retries — and started again). At the end both replicas equal the source, document by
 * document (BSON types included; PostgreSQL's jsonb equal to the canonical Extended JSON), and the independent logs
 * of every write to the replicas — a trigger into a history table, a change stream on the MongoDB replica — show no
 * version lower than one already written and no write after a newer delete.
 */
@Timeout(300)
class ReplicasNeverGoBackInTimeIT extends PipelineFixture {

    private static final List<String> ENTITIES = List.of("patient", "practitioner");
    private static final int WRITERS_PER_ENTITY = 2;
    private static final int IDS_PER_WRITER = 40;
    private static final int OPERATIONS_PER_WRITER = Integer.getInteger("ferry.replication.operations", 300);
    private static final ProjectorSettings REPLICATOR = ProjectorSettings.DEFAULT.withLaneThreads(8);

    private PostgresUnderTest postgres;
    private HikariDataSource pool;
    private final List<AutoCloseable> closed = new ArrayList<>();

    @BeforeEach
    void startPostgres() {
        postgres = PostgresUnderTest.start("ferry_it");
    }

    @AfterEach
    void stopPostgres() throws Exception {
        for (AutoCloseable resource : closed) {
            resource.close();
        }
        if (pool != null) {
            pool.close();
        }
        postgres.close();
    }

    @Test
    void bothReplicasEndExactAndNeverGoBackThroughRelayAndReplicatorKillsAndAPostgresRestart() throws Exception {
        String database = pipeline.database().getName();
        List<ChangeStreamRelay> relays = startRelays(database);
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
        List<ReplicationProcessor> mongoReplicators = new ArrayList<>();
        List<ReplicationProcessor> postgresReplicators = new ArrayList<>();
        for (String instance : List.of("a", "b")) {
            mongoReplicators.add(pipeline.startReplicator(instance, "mongo-replica", Set.copyOf(ENTITIES),
                new MongoReplicaWriter(replicaDatabase, ENTITIES.stream().map(MongoReplicaCollection::of).toList(),
                    Duration.ofDays(7), Clock.systemUTC()), REPLICATOR));
            postgresReplicators.add(pipeline.startReplicator(instance, "pg-replica", Set.copyOf(ENTITIES),
                new PostgresReplicaWriter(pool, target.tables(), Duration.ofDays(7), Clock.systemUTC()), REPLICATOR));
        }
        ChangeStreamRelay leader = awaitLeader(relays);

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
        int total = ENTITIES.size() * WRITERS_PER_ENTITY * OPERATIONS_PER_WRITER;
        awaitDone(done, total / 4);
        leader.kill();
        awaitDone(done, total / 2);
        mongoReplicators.get(0).kill();
        postgresReplicators.get(0).kill();
        awaitDone(done, total * 3 / 5);
        postgres.stopServer();
        // The outage is met: the surviving replicator pauses its partitions rather than spending retries (parking).
        await().atMost(Duration.ofSeconds(60)).until(() -> !postgresReplicators.get(1).status().paused().isEmpty());
        awaitDone(done, total * 3 / 4);
        postgres.startServer();
        CompletableFuture.allOf(writers.toArray(new CompletableFuture[0])).get();

        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(1))
            .until(() -> mismatches(replicaDatabase).isEmpty());
        assertThat(mismatches(replicaDatabase)).isEmpty();
        int compared = 0;
        for (String entity : ENTITIES) {
            compared += (int) pipeline.database().getCollection(entity).countDocuments();
        }
        assertThat(compared).as("documents compared").isPositive();
        // The independent logs saw every write: each one's last write of an id is what the replica holds.
        for (int i = 0; i < ENTITIES.size(); i++) {
            String entity = ENTITIES.get(i);
            Map<String, String> mongoVersions = new HashMap<>();
            for (BsonDocument document : replicaDatabase.getCollection(entity, BsonDocument.class).find()) {
                mongoVersions.put(EntityKeys.of(document.get("_id")),
                    document.getDocument("_ferry").getString("version").getValue());
            }
            MongoReplicaHistory mongoHistory = mongoHistories.get(i);
            MongoCollection<BsonDocument> replica = replicaDatabase.getCollection(entity, BsonDocument.class);
            // Bound: the stream only has to read writes already committed; seconds even on a loaded machine.
            await().atMost(Duration.ofSeconds(30)).until(() -> mongoHistory.notCaughtUpWith(replica).isEmpty());
            assertThat(lastWrites(mongoHistory.writes())).as("MongoDB %s history", entity).isEqualTo(mongoVersions);
            assertThat(lastWrites(postgresHistories.get(i).writes())).as("PostgreSQL %s history", entity)
                .isEqualTo(postgresVersions(entity));
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

    private List<ChangeStreamRelay> startRelays(String database) {
        List<WatchedCollection> watched = new ArrayList<>();
        List<CopiedCollection> copied = new ArrayList<>();
        for (String entity : ENTITIES) {
            EntitySource source = new EntitySource(entity, entity, database, entity,
                EntitySource.DEFAULT_MAX_RECORD_BYTES, false);
            WatchedCollection collection = new WatchedCollection(entity, database, entity,
                new EntityChanges(source, pipeline.database().getCollection(entity, BsonDocument.class)));
            watched.add(collection);
            copied.add(new CopiedCollection(entity, collection, List.of("_id"), true));
        }
        MongoSourceCopy copy = new MongoSourceCopy(pipeline.client(), copied);
        MongoChangeSource changes = MongoChangeSource.of(pipeline.client(), watched, ChangeStreamTail.Settings.DEFAULT);
        return List.of(pipeline.startRelay("r1", changes, copy), pipeline.startRelay("r2", changes, copy));
    }

    private static ChangeStreamRelay awaitLeader(List<ChangeStreamRelay> relays) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
            .until(() -> relays.stream().anyMatch(r -> r.status().role() == RelayStatus.Role.LEADER));
        return relays.stream().filter(r -> r.status().role() == RelayStatus.Role.LEADER).findFirst().orElseThrow();
    }

    private static Map<String, String> lastWrites(List<ReplicaWrite> writes) {
        Map<String, String> last = new HashMap<>();
        writes.forEach(write -> last.put(write.id(), write.version().wire()));
        return last;
    }

    private Map<String, String> postgresVersions(String table) throws SQLException {
        Map<String, String> versions = new HashMap<>();
        try (Connection connection = pool.getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT id, version FROM " + table);
             ResultSet rows = select.executeQuery()) {
            while (rows.next()) {
                versions.put(rows.getString(1), rows.getString(2));
            }
        }
        return versions;
    }

    private static void awaitDone(AtomicInteger done, int operations) {
        await().atMost(Duration.ofSeconds(120)).until(() -> done.get() >= operations);
    }

    /** Every id of the source, compared with both replicas: what differs, as lines. */
    private List<String> mismatches(MongoDatabase replicaDatabase) throws SQLException {
        List<String> mismatches = new ArrayList<>();
        for (String entity : ENTITIES) {
            Map<String, BsonDocument> source = new ConcurrentHashMap<>();
            for (Document document : pipeline.database().getCollection(entity).find()) {
                BsonDocument bson = bson(document);
                source.put(EntityKeys.of(bson.get("_id")), bson);
            }
            Map<String, BsonDocument> mongoReplica = new ConcurrentHashMap<>();
            MongoCollection<BsonDocument> replica = replicaDatabase.getCollection(entity, BsonDocument.class);
            for (BsonDocument document : replica.find(Filters.exists("_ferry.deletedAt", false))) {
                document.remove("_ferry");
                mongoReplica.put(EntityKeys.of(document.get("_id")), document);
            }
            Map<String, BsonDocument> postgresReplica = new ConcurrentHashMap<>();
            try (Connection connection = pool.getConnection();
                 PreparedStatement select = connection.prepareStatement("SELECT id, document::text FROM " + entity
                     + " WHERE deleted_at IS NULL");
                 ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    postgresReplica.put(rows.getString(1), BsonDocument.parse(rows.getString(2)));
                }
            }
            compare(entity, "MongoDB", source, mongoReplica, mismatches);
            compare(entity, "PostgreSQL", source, postgresReplica, mismatches);
        }
        return mismatches;
    }

    private static void compare(String entity, String replica, Map<String, BsonDocument> source,
                                Map<String, BsonDocument> copy, List<String> mismatches) {
        source.forEach((key, document) -> {
            if (!document.equals(copy.get(key))) {
                mismatches.add(replica + " " + entity + "/" + key + ": " + copy.get(key) + " instead of " + document);
            }
        });
        copy.keySet().stream().filter(key -> !source.containsKey(key))
            .forEach(key -> mismatches.add(replica + " " + entity + "/" + key + ": present, deleted in the source"));
    }

    private static BsonDocument bson(Document document) {
        return BsonDocumentWrapper.asBsonDocument(document, MongoClientSettings.getDefaultCodecRegistry());
    }
}
