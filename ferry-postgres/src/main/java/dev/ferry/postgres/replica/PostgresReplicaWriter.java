package dev.ferry.postgres.replica;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import dev.ferry.core.event.EntityChange;
import dev.ferry.core.event.EntityOperation;
import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.ChangeRuns;
import dev.ferry.core.replica.ChangeRuns.Plan;
import dev.ferry.core.replica.ChangeRuns.Run;
import dev.ferry.core.replica.ChangesRejected;
import dev.ferry.core.replica.ReplicaWriter;
import dev.ferry.core.target.TargetUnavailable;

/**
 * Entity replicas in PostgreSQL, a table per entity ({@link PostgresTable}), created if missing:
 * <pre>id text PRIMARY KEY, version text COLLATE "C" NOT NULL, document jsonb, deleted_at timestamptz, [mapped columns]</pre>
 * A batch is one transaction on one pooled connection and, in the usual case, one statement per table: each id's run
 * is planned as if the id were new ({@link ChangeRuns}), and the last new state of every id is written in one
 * multi-row {@code INSERT INTO t AS cur … ON CONFLICT (id) DO UPDATE … WHERE cur.version < EXCLUDED.version}, which
 * also returns the version each id had before (from the statement's snapshot) and whether it was written; the run's
 * outcomes are planned over that version. The condition keeps the replica from going back in time whatever happens
 * around it (another writer, a redelivery). No row is read or locked before the write, so a writer stalled before it
 * (a zombie after its partition moved) holds up no successor. An id another writer wrote after the snapshot is read
 * and planned again; one written by both (a handover's race) keeps the outcomes as planned. A delete writes a
 * tombstone: the row keeps id and version, with {@code document} and the mapped columns null and {@code deleted_at}
 * the time it was written.
 * <p>
 * A failed batch (PostgreSQL down, restarting, a connection cut) is rolled back and reported by an exception; HikariCP
 * replaces broken connections, so writing the batch again once the server is back is all a caller does. A batch that
 * fails for anything else (a row PostgreSQL refuses: a mapped value its column's type does not take, a NUL character
 * jsonb cannot hold) is written again id by id, each in its own transaction, so that only the refused ids fail
 * ({@link ChangesRejected}); one bad row costs its batch a round trip per id, never its neighbours.
 */
public final class PostgresReplicaWriter implements ReplicaWriter, AutoCloseable {

    /** Most rows in one INSERT. */
    private static final int MAX_ROWS = 1000;
    /** PostgreSQL's limit of parameters in one statement. */
    private static final int MAX_PARAMETERS = 65_535;
    /** Rounds an id is read and planned again when another writer wrote it after the upsert's snapshot. */
    private static final int MAX_ATTEMPTS = 5;
    /** SQLStates of the server's moment, not of a row (see {@link #failed}). */
    private static final Set<String> SERVER_WIDE = Set.of("40P01", "40001", "55P03", "25006");

    private final DataSource dataSource;
    private final HikariDataSource ownedPool;
    private final Map<String, TableStatements> byEntity = new LinkedHashMap<>();
    private final Set<String> created = ConcurrentHashMap.newKeySet();
    private final Duration tombstoneRetention;
    private final Clock clock;

    /**
     * @param dataSource         connections to the target, pooled by the caller
     * @param tables             one per entity written
     * @param tombstoneRetention tombstones written longer ago are purged by {@link #purgeTombstones()}
     * @param clock              gives a tombstone's {@code deleted_at} and the purge's now
     */
    public PostgresReplicaWriter(DataSource dataSource, List<PostgresTable> tables, Duration tombstoneRetention, Clock clock) {
        this(dataSource, null, tables, tombstoneRetention, clock);
    }

    private PostgresReplicaWriter(DataSource dataSource, HikariDataSource ownedPool, List<PostgresTable> tables,
                                  Duration tombstoneRetention, Clock clock) {
        this.dataSource = dataSource;
        this.ownedPool = ownedPool;
        this.tombstoneRetention = tombstoneRetention;
        this.clock = clock;
        tables.forEach(table -> byEntity.put(table.entity(), new TableStatements(table)));
    }

    /** A writer with a HikariCP pool of its own, closed with it. */
    public static PostgresReplicaWriter open(PostgresTarget target) {
        HikariDataSource pool = pool(target);
        return new PostgresReplicaWriter(pool, pool, target.tables(), target.tombstoneRetention(), Clock.systemUTC());
    }

    /** A HikariCP pool for the target. */
    public static HikariDataSource pool(PostgresTarget target) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(target.jdbcUrl());
        config.setUsername(target.user());
        config.setPassword(target.password());
        config.setMaximumPoolSize(target.poolSize());
        config.setPoolName("ferry-replica");
        // Start even while the server is down: the first write fails and is retried, like any other outage.
        config.setInitializationFailTimeout(-1);
        config.setConnectionTimeout(Duration.ofSeconds(10).toMillis());
        return new HikariDataSource(config);
    }

    /** Creates every configured table that is missing (writes do it too, on first use of a table). */
    public void createTables() {
        byEntity.values().forEach(this::ensureCreated);
    }

    @Override
    public List<Outcome> write(List<EntityChange> changes) {
        if (changes.isEmpty()) {
            return List.of();
        }
        ChangeRuns runs = ChangeRuns.of(changes);
        // In table-name order (rows are in id order within a table): two writers of overlapping batches take their
        // row locks in the same order and wait for each other instead of deadlocking.
        Map<TableStatements, List<Run>> byTable = new TreeMap<>(Comparator.comparing(table -> table.table.table()));
        for (Run run : runs.runs()) {
            byTable.computeIfAbsent(statements(run.entity()), table -> new ArrayList<>()).add(run);
        }
        byTable.keySet().forEach(this::ensureCreated);
        OffsetDateTime now = OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
        try {
            return runs.outcomes(transaction(byTable, now, changes.size()));
        } catch (TargetUnavailable e) {
            throw e;
        } catch (RuntimeException e) {
            if (runs.runs().size() == 1) {
                throw e;
            }
            return writeEachId(runs, now); // one row PostgreSQL refuses must not fail the others
        }
    }

    /** The runs written in one transaction: their final plans; nothing is written if it throws. */
    private List<Plan> transaction(Map<TableStatements, List<Run>> byTable, OffsetDateTime now, int changes) {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                List<Plan> plans = new ArrayList<>();
                for (Map.Entry<TableStatements, List<Run>> table : byTable.entrySet()) {
                    plans.addAll(write(connection, table.getKey(), table.getValue(), now));
                }
                connection.commit();
                return plans;
            } catch (SQLException | RuntimeException e) {
                rollBack(connection, e);
                throw e;
            }
        } catch (SQLException e) {
            throw failed("write " + changes + " changes", e);
        }
    }

    /**
     * The batch again, each id in its own transaction, after the batch's failed for a reason other than the server
     * being out of reach: the ids PostgreSQL refuses are reported in {@link ChangesRejected}, the others written.
     */
    private List<Outcome> writeEachId(ChangeRuns runs, OffsetDateTime now) {
        List<Plan> plans = new ArrayList<>(runs.runs().size());
        Map<Run, RuntimeException> refused = new HashMap<>();
        for (Run run : runs.runs()) {
            try {
                plans.addAll(transaction(Map.of(statements(run.entity()), List.of(run)), now, run.changes().size()));
            } catch (TargetUnavailable e) {
                throw e;
            } catch (RuntimeException e) {
                refused.put(run, e);
            }
        }
        return runs.outcomes(plans, refused);
    }

    /**
     * Plans and writes the runs of one table, within the caller's transaction; the final plans. A run is planned as
     * if its id were new and written without a read first; the upsert reports the version stored before, over which
     * the run's outcomes are planned again. Only a run with nothing to write (an update whose document is gone) is
     * read first, and a run another writer changed between the statement's snapshot and its write is read and
     * planned again.
     */
    private List<Plan> write(Connection connection, TableStatements table, List<Run> runs, OffsetDateTime now) throws SQLException {
        List<Plan> done = new ArrayList<>(runs.size());
        List<Plan> plans = new ArrayList<>(runs.size());
        List<Run> unwritten = new ArrayList<>();
        for (Run run : runs) {
            Plan plan = run.plan(null);
            if (plan.write() == null) {
                unwritten.add(run); // its outcome depends on what is stored: read
            } else {
                plans.add(plan);
            }
        }
        if (!unwritten.isEmpty()) {
            Map<String, EntityVersion> stored = stored(connection, table, unwritten);
            unwritten.forEach(run -> plans.add(run.plan(stored.get(run.id()))));
        }
        for (int attempt = 1; !plans.isEmpty(); attempt++) {
            if (attempt > MAX_ATTEMPTS) {
                Run run = plans.get(0).run();
                throw new IllegalStateException("the row of " + run.entity() + "/" + run.id() + " in "
                    + table.table.table() + " kept changing under this writer " + MAX_ATTEMPTS + " times");
            }
            List<Plan> writes = plans.stream().filter(plan -> plan.write() != null)
                .sorted(Comparator.comparing((Plan plan) -> plan.run().id())).toList();
            Map<String, Before> before = upsert(connection, table, writes, now);
            List<Run> again = new ArrayList<>();
            for (Plan plan : plans) {
                if (plan.write() == null) {
                    done.add(plan);
                    continue;
                }
                Before row = before.get(plan.run().id());
                Plan exact = plan.run().plan(row == null ? null : row.version());
                if (row != null && row.written()) {
                    // Written: over what was stored, the same state is the one to write (unless another writer
                    // committed between the snapshot and the write: then the outcomes stay as planned).
                    done.add(exact.write() == plan.write() ? exact : plan);
                } else if (exact.write() == null) {
                    done.add(exact); // the row already holds this version or a later one
                } else {
                    again.add(plan.run()); // written by another writer after the statement's snapshot: read again
                }
            }
            Map<String, EntityVersion> stored = again.isEmpty() ? Map.of() : stored(connection, table, again);
            plans.clear();
            again.forEach(run -> plans.add(run.plan(stored.get(run.id()))));
        }
        return done;
    }

    /** What an upsert found for an id: the version stored before it, null if none; whether it wrote the row. */
    private record Before(EntityVersion version, boolean written) {
    }

    private static Map<String, EntityVersion> stored(Connection connection, TableStatements table, List<Run> runs)
        throws SQLException {
        Map<String, EntityVersion> stored = new HashMap<>();
        try (PreparedStatement select = connection.prepareStatement(table.selectVersions)) {
            select.setArray(1, connection.createArrayOf("text", runs.stream().map(Run::id).toArray()));
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    stored.put(rows.getString(1), new EntityVersion(rows.getString(2)));
                }
            }
        }
        return stored;
    }

    /** Writes each plan's state (a row at a version not below the plan's is left as it is); what it found, by id. */
    private static Map<String, Before> upsert(Connection connection, TableStatements table, List<Plan> plans,
                                              OffsetDateTime now) throws SQLException {
        Map<String, Before> found = new HashMap<>();
        int rows = Math.min(MAX_ROWS, (MAX_PARAMETERS - TableStatements.UPSERT_PARAMETERS) / table.parametersPerRow());
        for (int from = 0; from < plans.size(); from += rows) {
            List<Plan> chunk = plans.subList(from, Math.min(plans.size(), from + rows));
            try (PreparedStatement upsert = connection.prepareStatement(table.upsert(chunk.size()))) {
                upsert.setArray(1, connection.createArrayOf("text", chunk.stream().map(plan -> plan.run().id()).toArray()));
                int parameter = 1 + TableStatements.UPSERT_PARAMETERS;
                for (Plan plan : chunk) {
                    bindRow(upsert, parameter, table.table, plan.write(), now);
                    parameter += table.parametersPerRow();
                }
                try (ResultSet result = upsert.executeQuery()) {
                    while (result.next()) {
                        String version = result.getString(2);
                        found.put(result.getString(1), new Before(version == null ? null : new EntityVersion(version),
                            result.getBoolean(3)));
                    }
                }
            }
        }
        return found;
    }

    private static void bindRow(PreparedStatement upsert, int first, PostgresTable table, EntityChange change,
                                OffsetDateTime now) throws SQLException {
        boolean delete = change.operation() == EntityOperation.DELETE;
        upsert.setString(first, change.id());
        upsert.setString(first + 1, change.version().wire());
        upsert.setString(first + 2, change.documentJson()); // null for a tombstone
        if (delete) {
            upsert.setObject(first + 3, now, Types.TIMESTAMP_WITH_TIMEZONE);
        } else {
            upsert.setNull(first + 3, Types.TIMESTAMP_WITH_TIMEZONE);
        }
        for (int i = 0; i < table.columns().size(); i++) {
            MappedColumn column = table.columns().get(i);
            upsert.setString(first + 4 + i, delete ? null : DocumentFields.text(change.documentJson(), column.path()));
        }
    }

    @Override
    public Optional<StoredVersion> stored(String entity, String id) {
        TableStatements table = statements(entity);
        ensureCreated(table);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(table.stored)) {
            select.setString(1, id);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? Optional.of(new StoredVersion(new EntityVersion(row.getString(1)), row.getBoolean(2)))
                    : Optional.empty();
            }
        } catch (SQLException e) {
            throw failed("read the version of " + entity + "/" + id, e);
        }
    }

    @Override
    public long purgeTombstones() {
        Instant cutoff = clock.instant().minus(tombstoneRetention);
        long purged = 0;
        for (TableStatements table : byEntity.values()) {
            ensureCreated(table);
            try (Connection connection = dataSource.getConnection();
                 PreparedStatement purge = connection.prepareStatement(table.purge)) {
                purge.setTimestamp(1, Timestamp.from(cutoff));
                purged += purge.executeUpdate();
            } catch (SQLException e) {
                throw failed("purge the tombstones of " + table.table.table(), e);
            }
        }
        return purged;
    }

    @Override
    public void close() {
        if (ownedPool != null) {
            ownedPool.close();
        }
    }

    private TableStatements statements(String entity) {
        TableStatements table = byEntity.get(entity);
        if (table == null) {
            throw new IllegalArgumentException("entity '" + entity + "' has no table; configured: " + byEntity.keySet());
        }
        return table;
    }

    /**
     * Creates the table if missing, once per writer. Several replicators may start together: an advisory lock per
     * table makes them create it one after another ({@code CREATE TABLE IF NOT EXISTS} alone races on the catalog).
     */
    private void ensureCreated(TableStatements table) {
        String name = table.table.table();
        if (created.contains(name)) {
            return;
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("SELECT pg_advisory_xact_lock(hashtext('ferry replica table ' || current_schema() || '." + name + "'))");
                for (String sql : table.create()) {
                    statement.execute(sql);
                }
                checkVersionOrder(connection, name);
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                rollBack(connection, e);
                throw e;
            }
        } catch (SQLException e) {
            throw failed("create the table " + name, e);
        }
        created.add(name);
    }

    /** A table made by someone else must still compare versions byte by byte, or "newer" would mean something else. */
    private static void checkVersionOrder(Connection connection, String table) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement("SELECT collation_name FROM information_schema.columns "
            + "WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'version'")) {
            select.setString(1, table);
            try (ResultSet row = select.executeQuery()) {
                if (row.next() && !"C".equals(row.getString(1))) {
                    throw new IllegalStateException("table " + table + ": column version must be COLLATE \"C\" (versions "
                        + "compare byte by byte), is " + row.getString(1) + "; ALTER TABLE " + table
                        + " ALTER COLUMN version TYPE text COLLATE \"C\"");
                }
            }
        }
    }

    private static void rollBack(Connection connection, Exception cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e); // the connection is broken; the pool drops it
        }
    }

    /**
     * A connection problem or a server shutting down (SQLState class 08, 57P01–57P03, no connection from the pool in
     * time), and what the server as a whole answers for a while — a deadlock or serialization failure (40P01, 40001),
     * a lock not available (55P03), a read-only server after a failover (25006), insufficient resources (class 53) —
     * is {@link TargetUnavailable}: the engine waits it out without parking; anything else is the change's.
     */
    private static RuntimeException failed(String what, SQLException e) {
        String message = "PostgreSQL replica: cannot " + what + ": " + e.getMessage()
            + (e.getSQLState() == null ? "" : " (SQLState " + e.getSQLState() + ")");
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (e instanceof SQLTransientConnectionException || state.startsWith("08") || state.startsWith("57P")
            || state.startsWith("53") || SERVER_WIDE.contains(state)) {
            return new TargetUnavailable(message, e);
        }
        return new IllegalStateException(message, e);
    }
}
