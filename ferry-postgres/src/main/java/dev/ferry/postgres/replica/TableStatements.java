package dev.ferry.postgres.replica;

import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;

/** The SQL of one replica table, built once from its configuration. */
final class TableStatements {

    final PostgresTable table;
    final String selectVersions;
    final String stored;
    final String purge;
    private final String upsertHead;
    private final String upsertRow;
    private final String upsertTail;

    TableStatements(PostgresTable table) {
        this.table = table;
        String name = table.table();
        List<MappedColumn> mapped = table.columns();
        selectVersions = "SELECT id, version FROM " + name + " WHERE id = ANY(?)";
        stored = "SELECT version, deleted_at IS NOT NULL FROM " + name + " WHERE id = ?";
        purge = "DELETE FROM " + name + " WHERE deleted_at < ?";
        // The versions before the write come from the statement's snapshot (every part of a statement sees the same
        // one), so a batch needs no read, and holds no row lock, before its write.
        upsertHead = "WITH before AS (SELECT id, version FROM " + name + " WHERE id = ANY(?)), written AS ("
            + "INSERT INTO " + name + " AS cur (id, version, document, deleted_at"
            + mapped.stream().map(column -> ", " + column.name()).collect(Collectors.joining()) + ") VALUES ";
        upsertRow = "(?, ?, CAST(? AS jsonb), ?"
            + mapped.stream().map(column -> ", CAST(? AS " + column.sqlType() + ")").collect(Collectors.joining()) + ")";
        // The condition that keeps the replica from going back in time: only a greater version replaces a row.
        upsertTail = " ON CONFLICT (id) DO UPDATE SET version = EXCLUDED.version, document = EXCLUDED.document, "
            + "deleted_at = EXCLUDED.deleted_at"
            + mapped.stream().map(column -> ", " + column.name() + " = EXCLUDED." + column.name()).collect(Collectors.joining())
            + " WHERE cur.version < EXCLUDED.version RETURNING cur.id) "
            + "SELECT COALESCE(b.id, w.id), b.version, w.id IS NOT NULL FROM before b FULL JOIN written w ON w.id = b.id";
    }

    /**
     * An upsert of {@code rows} rows (its first parameter: their ids as an array) that returns, per id, the version
     * stored before it (null if none) and whether it wrote the row; an id absent before and not written is left out.
     */
    String upsert(int rows) {
        return upsertHead + String.join(", ", Collections.nCopies(rows, upsertRow)) + upsertTail;
    }

    /** Parameters of an upsert besides its rows': the ids' array. */
    static final int UPSERT_PARAMETERS = 1;

    int parametersPerRow() {
        return 4 + table.columns().size();
    }

    /** Creates the table and what it needs if missing; adds mapped columns configured since. */
    List<String> create() {
        String name = table.table();
        List<String> statements = new java.util.ArrayList<>();
        statements.add("CREATE TABLE IF NOT EXISTS " + name + " (id text PRIMARY KEY, version text COLLATE \"C\" NOT NULL, "
            + "document jsonb, deleted_at timestamptz)");
        for (MappedColumn column : table.columns()) {
            statements.add("ALTER TABLE " + name + " ADD COLUMN IF NOT EXISTS " + column.name() + " " + column.sqlType());
        }
        // the purge's index: tombstones only, a small part of the table
        statements.add("CREATE INDEX IF NOT EXISTS " + name + "_tombstones ON " + name + " (deleted_at) WHERE deleted_at IS NOT NULL");
        return statements;
    }
}
