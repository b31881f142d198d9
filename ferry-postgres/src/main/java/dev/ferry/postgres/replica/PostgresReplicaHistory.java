package dev.ferry.postgres.replica;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import javax.sql.DataSource;

import dev.ferry.core.event.EntityVersion;
import dev.ferry.core.replica.DocumentedWrite;
import dev.ferry.core.replica.ReplicaHistoryCheck;
import dev.ferry.core.replica.ReplicaWrite;

/**
 * An independent log of every write to a replica table, kept by PostgreSQL itself: a trigger appends each inserted
 * or updated row's id, version, whether it is a tombstone and its document to {@code <table>_history}, in the order
 * the writes happened to each id (a row's writes are serialised by its row lock). Tests and the demo read it with
 * {@link #check} to count order violations and resurrections without trusting the writer. Purges (deletes) are not
 * writes of a version and are not logged.
 */
public final class PostgresReplicaHistory {

    private static final Pattern TABLE = Pattern.compile("[a-z_][a-z0-9_]{0,47}");

    private final DataSource dataSource;
    private final String table;

    private PostgresReplicaHistory(DataSource dataSource, String table) {
        this.dataSource = dataSource;
        this.table = table;
    }

    /** Adds the history table and trigger to an existing replica table (again: nothing changes). */
    public static PostgresReplicaHistory install(DataSource dataSource, String table) {
        if (!TABLE.matcher(table).matches()) {
            throw new IllegalArgumentException("not a replica table name: '" + table + "'");
        }
        String history = table + "_history";
        String function = table + "_history_row";
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE IF NOT EXISTS " + history + " (seq bigserial PRIMARY KEY, id text NOT NULL, "
                + "version text COLLATE \"C\" NOT NULL, deleted boolean NOT NULL, written_at timestamptz NOT NULL DEFAULT clock_timestamp())");
            // a history installed before the documents were logged gains the column
            statement.execute("ALTER TABLE " + history + " ADD COLUMN IF NOT EXISTS document jsonb");
            statement.execute("CREATE OR REPLACE FUNCTION " + function + "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                + "INSERT INTO " + history + " (id, version, deleted, document) VALUES (NEW.id, NEW.version, "
                + "NEW.deleted_at IS NOT NULL, NEW.document); "
                + "RETURN NULL; END $$");
            statement.execute("CREATE OR REPLACE TRIGGER " + history + " AFTER INSERT OR UPDATE ON " + table
                + " FOR EACH ROW EXECUTE FUNCTION " + function + "()");
        } catch (SQLException e) {
            throw new IllegalStateException("cannot install the history of " + table + ": " + e.getMessage(), e);
        }
        return new PostgresReplicaHistory(dataSource, table);
    }

    /** Every write logged so far, in order. */
    public List<ReplicaWrite> writes() {
        List<ReplicaWrite> writes = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id, version, deleted FROM " + table + "_history ORDER BY seq")) {
            while (rows.next()) {
                writes.add(new ReplicaWrite(rows.getString(1), new EntityVersion(rows.getString(2)), rows.getBoolean(3)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the history of " + table + ": " + e.getMessage(), e);
        }
        return writes;
    }

    /** Every write logged so far, in order, with the document it wrote (a tombstone's: null). */
    public List<DocumentedWrite> documentedWrites() {
        List<DocumentedWrite> writes = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT id, version, deleted, document::text FROM " + table
                 + "_history ORDER BY seq")) {
            while (rows.next()) {
                writes.add(new DocumentedWrite(new ReplicaWrite(rows.getString(1), new EntityVersion(rows.getString(2)),
                    rows.getBoolean(3)), rows.getString(4)));
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the history of " + table + ": " + e.getMessage(), e);
        }
        return writes;
    }

    /** The log so far, checked. */
    public ReplicaHistoryCheck.Verdict check() {
        ReplicaHistoryCheck check = new ReplicaHistoryCheck();
        check.recordAll(writes());
        return check.verdict();
    }
}
