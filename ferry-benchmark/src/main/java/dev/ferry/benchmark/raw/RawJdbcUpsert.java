package dev.ferry.benchmark.raw;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.UUID;

/**
 * The raw JDBC baseline of a PostgreSQL replica: the same patient documents upserted into a plain table ({@code id
 * text primary key, version text, document jsonb}) as batched {@code INSERT ... ON CONFLICT (id) DO UPDATE ... WHERE
 * cur.version < EXCLUDED.version} over one connection, a transaction per batch — the statement Ferry's writer runs,
 * without its pool, lanes, tombstones or acknowledgements. Plain driver settings, as a deployment has them.
 */
final class RawJdbcUpsert {

    /** Rows per batch: the most one poll of Ferry's replicator holds is 1,000 records; a plain client batches fewer. */
    static final int BATCH = 500;

    private final String jdbcUrl;

    RawJdbcUpsert(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    /** Connects and creates a fresh table; {@code run} then upserts into it. */
    Table open() throws SQLException {
        Connection connection = DriverManager.getConnection(jdbcUrl);
        String table = "raw_upsert_" + UUID.randomUUID().toString().replace('-', '_');
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + table + " (id text PRIMARY KEY, version text COLLATE \"C\" NOT NULL, "
                + "document jsonb)");
        }
        connection.setAutoCommit(false);
        return new Table(connection, table);
    }

    /** An open connection and its table, dropped on close. */
    static final class Table implements AutoCloseable {
        private final Connection connection;
        private final String name;

        private Table(Connection connection, String name) {
            this.connection = connection;
            this.name = name;
        }

        /** Upserts {@code count} patient documents of {@code bytes}, each a new id, and returns how many. */
        long upsert(int count, int bytes) throws SQLException {
            try (PreparedStatement upsert = connection.prepareStatement("INSERT INTO " + name + " AS cur (id, version, "
                + "document) VALUES (?, ?, ?::jsonb) ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, "
                + "document = EXCLUDED.document WHERE cur.version < EXCLUDED.version")) {
                for (int i = 0; i < count; i++) {
                    String id = "patient-" + i;
                    upsert.setString(1, id);
                    upsert.setString(2, String.format("%010d.%010d.%010d", 1_764_670_000 + i / 1000, i % 1000, 1));
                    upsert.setString(3, PatientDocuments.json(PatientDocuments.patient(id, bytes)));
                    upsert.addBatch();
                    if ((i + 1) % BATCH == 0 || i == count - 1) {
                        upsert.executeBatch();
                        connection.commit();
                    }
                }
            }
            return count;
        }

        @Override
        public void close() throws SQLException {
            try (Statement statement = connection.createStatement()) {
                connection.setAutoCommit(true);
                statement.execute("DROP TABLE IF EXISTS " + name);
            } finally {
                connection.close();
            }
        }
    }
}
