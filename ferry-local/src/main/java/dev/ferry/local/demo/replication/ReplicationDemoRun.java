package dev.ferry.local.demo.replication;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.bson.BsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;
import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.SourceConfig;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.core.replica.ReplicaHistoryCheck;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.embedded.postgres.EmbeddedPostgresServer;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ReplicationProcessor;
import dev.ferry.kafka.KafkaTransport;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.local.demo.LeaderRelayKill;
import dev.ferry.local.demo.ProgressLine;
import dev.ferry.mongodb.replica.MongoReplicaCollection;
import dev.ferry.mongodb.replica.MongoReplicaHistory;
import dev.ferry.mongodb.replica.MongoReplicaWriter;
import dev.ferry.postgres.replica.PostgresReplicaHistory;
import dev.ferry.postgres.replica.PostgresReplicaWriter;
import dev.ferry.postgres.replica.PostgresTable;
import dev.ferry.postgres.replica.PostgresTarget;

/**
 * The replication demo: the embedded MongoDB (the source, Ferry's state and the MongoDB replica, each a database of
 * its own), the embedded Kafka and an embedded PostgreSQL 17 (the PostgreSQL replica); concurrent CRUD writers on
 * patients and practitioners, 2 relays, 3 replicators per target; the leader relay and one replicator of each target
 * are killed abruptly mid-run. At the end both replicas are compared with the source document by document, and their
 * independent write logs (a change stream on the MongoDB replica, a trigger on the PostgreSQL tables) are checked for
 * any step back in time.
 */
public final class ReplicationDemoRun {

    private static final String SOURCE = "clinic";
    private static final String FERRY = "ferry_demo_replication";
    private static final String MONGO_REPLICA = "clinic_replica";
    private static final String MONGO_TARGET = "mongodb";
    private static final String POSTGRES_TARGET = "postgresql";
    private static final int REPLICATORS_PER_TARGET = 3;
    private static final int WRITERS_PER_ENTITY = 4; // synchronous writers: enough of them to reach the rate
    private static final int POOL_PER_REPLICATOR = 4;
    // never reached in the demo: tombstones are kept for the whole run
    private static final Duration TOMBSTONE_RETENTION = Duration.ofDays(7);
    /** The logs only have to read writes already committed when the replicas were found exact: seconds suffice. */
    private static final Duration HISTORY_CATCH_UP = Duration.ofSeconds(30);

    /**
     * @param idsPerWriter  ids each writer creates, changes, deletes and re-creates (8 writers)
     * @param workDirectory where the embedded PostgreSQL lives while the demo runs ({@code postgres/} under it)
     */
    public record Options(long changes, int ratePerSecond, int idsPerWriter, Path workDirectory) {
    }

    private final Options options;
    private final PrintStream progress;
    private final ProgressLine line;
    private final Recorder latency = new Recorder(TimeUnit.MINUTES.toMicros(10), 3);

    public ReplicationDemoRun(Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
        this.line = new ProgressLine(progress);
    }

    public ReplicationDemoReport run() throws Exception {
        int oplog = (int) Math.min(Integer.MAX_VALUE, Math.max(EmbeddedMongo.DEFAULT_OPLOG_CAPACITY, options.changes() * 4));
        // Each closed on every way out; the PostgreSQL server also by its shutdown hook on Ctrl-C.
        try (AutoCloseable wholeLine = line.keepWhole();
             EmbeddedMongo mongo = EmbeddedMongo.start(0, oplog);
             EmbeddedKafka kafka = EmbeddedKafka.start();
             EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start(options.workDirectory().resolve("postgres"));
             MongoClient client = MongoClients.create(mongo.connectionString());
             Components components = new Components(mongo.connectionString(), FERRY, "events",
                 new KafkaTransport(KafkaSettings.local(kafka.bootstrapServers())))) {
            return run(client, components, postgres);
        }
    }

    private ReplicationDemoReport run(MongoClient client, Components components, EmbeddedPostgresServer postgres)
        throws Exception {
        List<AutoCloseable> resources = new ArrayList<>();
        try {
            return run(client, components, postgres, resources);
        } finally {
            for (int i = resources.size() - 1; i >= 0; i--) {
                resources.get(i).close();
            }
        }
    }

    private ReplicationDemoReport run(MongoClient client, Components components, EmbeddedPostgresServer postgres,
                                      List<AutoCloseable> resources) throws Exception {
        List<String> entities = PatientAndPractitionerWrites.ENTITIES;
        MongoDatabase source = client.getDatabase(SOURCE);
        MongoDatabase mongoReplica = client.getDatabase(MONGO_REPLICA);
        for (String entity : entities) {
            source.createCollection(entity);
        }

        PostgresTarget postgresTarget = new PostgresTarget(postgres.jdbcUrl(), null, null, POOL_PER_REPLICATOR,
            TOMBSTONE_RETENTION, entities.stream().map(PostgresTable::of).toList());
        HikariDataSource verifierPool = PostgresReplicaWriter.pool(postgresTarget);
        resources.add(verifierPool);
        new PostgresReplicaWriter(verifierPool, postgresTarget.tables(), TOMBSTONE_RETENTION, Clock.systemUTC())
            .createTables();
        // The independent logs, from before the first replica write.
        List<MongoReplicaHistory> mongoHistories = new ArrayList<>();
        List<PostgresReplicaHistory> postgresHistories = new ArrayList<>();
        for (String entity : entities) {
            MongoReplicaHistory history = MongoReplicaHistory.watch(mongoReplica.getCollection(entity, BsonDocument.class));
            resources.add(history);
            mongoHistories.add(history);
            postgresHistories.add(PostgresReplicaHistory.install(verifierPool, entity));
        }

        List<SourceConfig> sources = entities.stream()
            .<SourceConfig>map(entity -> new SourceConfig.Entities(entity, SOURCE, entity, entity)).toList();
        RelaySettings relaySettings = RelaySettings.defaults("demo-replication-relay")
            .withInitialPosition(new StartPosition.AtTime(Instant.now().minusSeconds(1)));
        List<ChangeStreamRelay> relays = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            Transport.Publishers publishers = components.relayPublishers();
            resources.add(publishers::close);
            ChangeStreamRelay relay = components.relay(relaySettings, "relay-" + i, publishers, sources);
            resources.add(relay::close);
            relays.add(relay);
        }
        relays.forEach(ChangeStreamRelay::start);

        Set<String> replicated = new LinkedHashSet<>(entities);
        List<ReplicationProcessor> mongoReplicators = new ArrayList<>();
        List<ReplicationProcessor> postgresReplicators = new ArrayList<>();
        for (int i = 1; i <= REPLICATORS_PER_TARGET; i++) {
            ReplicaWriter mongoWriter = new MongoReplicaWriter(mongoReplica,
                entities.stream().map(MongoReplicaCollection::of).toList(), TOMBSTONE_RETENTION, Clock.systemUTC());
            mongoReplicators.add(replicator(components, MONGO_TARGET, replicated, mongoWriter, "mongodb-" + i, resources));
            PostgresReplicaWriter postgresWriter = PostgresReplicaWriter.open(postgresTarget);
            resources.add(postgresWriter);
            postgresReplicators.add(replicator(components, POSTGRES_TARGET, replicated, postgresWriter,
                "postgresql-" + i, resources));
        }
        awaitLeader(relays);

        PatientAndPractitionerWrites load = new PatientAndPractitionerWrites(source, WRITERS_PER_ENTITY,
            options.idsPerWriter(), options.changes(), options.ratePerSecond());
        resources.add(load::stop);
        Failovers failovers = new Failovers(relays, mongoReplicators, postgresReplicators);
        long started = System.nanoTime();
        load.start();
        long nextProgress = System.nanoTime();
        while (!load.awaitDone(50, TimeUnit.MILLISECONDS) || !failovers.measured()) {
            failovers.step(load.made());
            if (System.nanoTime() - nextProgress >= 0) {
                progressLine(started, load, relays, mongoReplicators, postgresReplicators);
                nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
            if (System.nanoTime() - started > TimeUnit.MINUTES.toNanos(10)) {
                progress.printf("%n>>> the demo did not finish in 10 minutes; stopping%n");
                load.stop();
                break;
            }
        }

        progress.printf("%n>>> writes done; waiting for both replicas to equal the source%n");
        ReplicaComparison comparison = new ReplicaComparison(source, mongoReplica, verifierPool);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        ReplicaComparison.Verdict mongoVerdict = comparison.mongo(entities);
        ReplicaComparison.Verdict postgresVerdict = comparison.postgres(entities);
        while (!(mongoVerdict.exact() && postgresVerdict.exact() && published(relays) >= load.made())
            && System.nanoTime() < deadline) {
            progressLine(started, load, relays, mongoReplicators, postgresReplicators);
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // a comparison reads every document: not too often
            mongoVerdict = comparison.mongo(entities);
            postgresVerdict = comparison.postgres(entities);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        progressLine(started, load, relays, mongoReplicators, postgresReplicators);
        line.end();
        HistoryBehind mongoHistoryBehind = awaitCaughtUp(entities, mongoHistories, mongoReplica);
        List<String> unreadable = new ArrayList<>();
        if (mongoHistoryBehind.ids() > 0) {
            unreadable.add(mongoHistoryBehind.summary());
        }
        mongoHistories.forEach(history -> history.unreadableExamples()
            .forEach(example -> unreadable.add("unreadable: " + example)));

        ReplicationDemoReport.Replica mongoDetail = detail(MONGO_TARGET, mongoReplicators, mongoVerdict,
            mongoHistories.stream().map(MongoReplicaHistory::check).toList(),
            mongoHistories.stream().mapToLong(MongoReplicaHistory::unreadable).sum(), mongoHistoryBehind.ids(),
            unreadable, failovers.mongoMillis());
        // The PostgreSQL log is a table written by a trigger in each write's transaction: complete at every commit.
        ReplicationDemoReport.Replica postgresDetail = detail(POSTGRES_TARGET, postgresReplicators, postgresVerdict,
            postgresHistories.stream().map(PostgresReplicaHistory::check).toList(), 0, 0, List.of(),
            failovers.postgresMillis());
        List<ReplicationDemoReport.Replica> replicas = List.of(mongoDetail, postgresDetail);
        Histogram histogram = latency.getIntervalHistogram();
        return new ReplicationDemoReport(load.made(), published(relays),
            replicas.stream().mapToLong(ReplicationDemoReport.Replica::applied).sum(),
            replicas.stream().mapToLong(ReplicationDemoReport.Replica::duplicates).sum(),
            replicas.stream().mapToLong(ReplicationDemoReport.Replica::documentsCompared).sum(),
            mongoVerdict.exact() && postgresVerdict.exact(),
            replicas.stream().mapToLong(ReplicationDemoReport.Replica::resurrections).sum(),
            replicas.stream().mapToLong(ReplicationDemoReport.Replica::orderViolations).sum(),
            failovers.relayMillis(), Math.max(failovers.mongoMillis(), failovers.postgresMillis()),
            load.made() / seconds, new ReplicationDemoReport.Latency(histogram.getValueAtPercentile(50) / 1000.0,
                histogram.getValueAtPercentile(99) / 1000.0, histogram.getValueAtPercentile(99.9) / 1000.0),
            replicas, relays.stream().mapToLong(r -> r.status().deadLettered()).sum(), seconds);
    }

    private ReplicationProcessor replicator(Components components, String target, Set<String> entities,
                                            ReplicaWriter writer, String instanceId, List<AutoCloseable> resources) {
        ReplicationProcessor processor = components.replicator(target, entities,
            new LatencyObservingReplicaWriter(writer, millis -> latency.recordValue(millis * 1000)), null,
            ProcessorSettings.DEFAULT, instanceId);
        resources.add(processor::close);
        processor.start();
        return processor;
    }

    private static ReplicationDemoReport.Replica detail(String name, List<ReplicationProcessor> replicators,
                                                        ReplicaComparison.Verdict comparison,
                                                        List<ReplicaHistoryCheck.Verdict> histories,
                                                        long unreadable, long historyBehind, List<String> logProblems,
                                                        long failoverMillis) {
        // one log per entity table or collection: ids of different entities may be equal, so each is checked alone
        List<String> examples = new ArrayList<>(logProblems);
        examples.addAll(comparison.mismatches());
        histories.forEach(history -> examples.addAll(history.examples()));
        return new ReplicationDemoReport.Replica(name,
            replicators.stream().mapToLong(r -> r.status().applied()).sum(),
            replicators.stream().mapToLong(r -> r.status().duplicates()).sum(),
            replicators.stream().mapToLong(r -> r.status().parked()).sum(),
            comparison.compared(), comparison.differing(),
            histories.stream().mapToLong(ReplicaHistoryCheck.Verdict::writes).sum(),
            histories.stream().mapToLong(ReplicaHistoryCheck.Verdict::orderViolations).sum(),
            histories.stream().mapToLong(ReplicaHistoryCheck.Verdict::resurrections).sum(),
            histories.stream().mapToLong(ReplicaHistoryCheck.Verdict::repeats).sum(), unreadable, historyBehind,
            failoverMillis, examples);
    }

    /**
     * Waits until each MongoDB replica collection's change stream has read every write the collection holds (the
     * last state it saw of every id is the stored one; see {@link MongoReplicaHistory#notCaughtUpWith}), at most
     * {@link #HISTORY_CATCH_UP}. What it still had not seen then: how many ids, and a line naming the first few
     * (prefixed by the entity). A log read in part would show no violation only because it missed the writes, so an
     * incomplete one fails the demo.
     */
    private static HistoryBehind awaitCaughtUp(List<String> entities, List<MongoReplicaHistory> histories,
                                              MongoDatabase replica) {
        long deadline = System.nanoTime() + HISTORY_CATCH_UP.toNanos();
        List<String> behind = behind(entities, histories, replica);
        while (!behind.isEmpty() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100)); // each check reads the whole replica
            behind = behind(entities, histories, replica);
        }
        return new HistoryBehind(behind.size(), behind.isEmpty() ? "" : "history incomplete after "
            + HISTORY_CATCH_UP.toSeconds() + " s (" + behind.size() + " ids): "
            + String.join("; ", behind.subList(0, Math.min(10, behind.size()))));
    }

    /** The ids whose last write a replica's change-stream log had not read, and a line naming the first few. */
    private record HistoryBehind(int ids, String summary) {
    }

    private static List<String> behind(List<String> entities, List<MongoReplicaHistory> histories, MongoDatabase replica) {
        List<String> behind = new ArrayList<>();
        for (int i = 0; i < entities.size(); i++) {
            String entity = entities.get(i);
            histories.get(i).notCaughtUpWith(replica.getCollection(entity, BsonDocument.class))
                .forEach(line -> behind.add(entity + "/" + line));
        }
        return behind;
    }

    private static long published(List<ChangeStreamRelay> relays) {
        return relays.stream().mapToLong(r -> r.status().published()).sum();
    }

    private void awaitLeader(List<ChangeStreamRelay> relays) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (LeaderRelayKill.leader(relays) == null) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no relay became leader within 60 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private void progressLine(long started, PatientAndPractitionerWrites load, List<ChangeStreamRelay> relays,
                              List<ReplicationProcessor> mongoReplicators, List<ReplicationProcessor> postgresReplicators) {
        ChangeStreamRelay leader = LeaderRelayKill.leader(relays);
        line.show(String.format("%5.1fs  changes %,7d (%,.0f/s)  published %,7d  applied: mongodb %,7d  postgresql %,7d"
                + "  leader %s   ", (System.nanoTime() - started) / 1e9, load.made(), load.achievedPerSecond(),
            published(relays), mongoReplicators.stream().mapToLong(r -> r.status().applied()).sum(),
            postgresReplicators.stream().mapToLong(r -> r.status().applied()).sum(),
            leader == null ? "(election)" : leader.instanceId() + " epoch " + leader.status().epoch()));
    }

    /**
     * The kills and how long each failover took: the leader relay at 40% of the changes (until its successor
     * publishes), one replicator of each target at 60% (until the others own its partitions).
     */
    private final class Failovers {

        private final LeaderRelayKill relayKill;
        private final ReplicatorKill mongo;
        private final ReplicatorKill postgres;

        Failovers(List<ChangeStreamRelay> relays, List<ReplicationProcessor> mongoReplicators,
                  List<ReplicationProcessor> postgresReplicators) {
            this.relayKill = new LeaderRelayKill(relays, progress);
            this.mongo = new ReplicatorKill(MONGO_TARGET, mongoReplicators, progress);
            this.postgres = new ReplicatorKill(POSTGRES_TARGET, postgresReplicators, progress);
        }

        void step(long made) {
            relayKill.step(made >= options.changes() * 4 / 10);
            if (made >= options.changes() * 6 / 10) {
                mongo.step();
                postgres.step();
            }
        }

        boolean measured() {
            return relayKill.failoverMillis() >= 0 && mongo.millis() >= 0 && postgres.millis() >= 0;
        }

        long relayMillis() {
            return relayKill.failoverMillis();
        }

        long mongoMillis() {
            return mongo.millis();
        }

        long postgresMillis() {
            return postgres.millis();
        }
    }
}
