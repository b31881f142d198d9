package dev.ferry.benchmark.raw;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.Collection;
import java.util.UUID;

import org.bson.json.JsonMode;
import org.bson.json.JsonWriterSettings;

/**
 * A PostgreSQL replica written as a plain client would: per poll one multi-row {@code INSERT ... ON CONFLICT (id) DO
 * UPDATE ... WHERE cur.version < EXCLUDED.version} (one statement, its own transaction) into a table of Ferry's shape
 * ({@code id, version, document jsonb, deleted_at}); a delete is a tombstone row. The document is the change's
 * canonical Extended JSON, as Ferry's replica stores it.
 */
final class RawPostgresReplica implements RawReplica {

    private static final JsonWriterSettings CANONICAL = JsonWriterSettings.builder().outputMode(JsonMode.EXTENDED).build();

    private final Connection connection;
    private final String table = "raw_replica_" + UUID.randomUUID().toString().replace('-', '_');

    RawPostgresReplica(String jdbcUrl) throws SQLException {
        connection = DriverManager.getConnection(jdbcUrl);
        try (Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE " + table + " (id text PRIMARY KEY, version text COLLATE \"C\" NOT NULL, "
                + "document jsonb, deleted_at timestamptz)");
        }
    }

    @Override
    public void write(Collection<RawChange> latest) throws SQLException {
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(table)
            .append(" AS cur (id, version, document, deleted_at) VALUES ");
        int rows = 0;
        for (RawChange change : latest) {
            if (change.document() != null || change.deleted()) {
                sql.append(rows++ == 0 ? "" : ", ").append("(?, ?, CAST(? AS jsonb), ?)");
            }
        }
        if (rows == 0) {
            return;
        }
        sql.append(" ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, document = EXCLUDED.document, "
            + "deleted_at = EXCLUDED.deleted_at WHERE cur.version < EXCLUDED.version");
        try (PreparedStatement upsert = connection.prepareStatement(sql.toString())) {
            int parameter = 1;
            Timestamp now = new Timestamp(System.currentTimeMillis());
            for (RawChange change : latest) {
                if (change.document() == null && !change.deleted()) {
                    continue;
                }
                upsert.setString(parameter++, change.key());
                upsert.setString(parameter++, change.version());
                if (change.deleted()) {
                    upsert.setNull(parameter++, Types.VARCHAR);
                    upsert.setTimestamp(parameter++, now);
                } else {
                    upsert.setString(parameter++, change.document().toJson(CANONICAL));
                    upsert.setNull(parameter++, Types.TIMESTAMP);
                }
            }
            upsert.executeUpdate();
        }
    }

    @Override
    public void close() throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute("DROP TABLE IF EXISTS " + table);
        } finally {
            connection.close();
        }
    }
}
