package dev.ferry.postgres.replica;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where one entity is replicated: a table, created if missing, with Ferry's columns and the mapped ones.
 *
 * @param entity  the entity's name, as in its changes
 * @param table   the table's name (lower-case letters, digits and underscores), in the connection's current schema
 * @param columns columns filled from document fields; may be empty
 */
public record PostgresTable(String entity, String table, List<MappedColumn> columns) {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,47}"); // room for the names derived from it

    public PostgresTable {
        Objects.requireNonNull(entity, "entity");
        Objects.requireNonNull(table, "table");
        if (entity.isBlank()) {
            throw new IllegalArgumentException("entity must not be blank");
        }
        if (!IDENTIFIER.matcher(table).matches()) {
            throw new IllegalArgumentException("table '" + table + "' of entity " + entity
                + " must be lower-case letters, digits and underscores, at most 48");
        }
        columns = columns == null ? List.of() : List.copyOf(columns);
        Set<String> names = new HashSet<>();
        for (MappedColumn column : columns) {
            if (!names.add(column.name())) {
                throw new IllegalArgumentException("table " + table + " maps column " + column.name() + " twice");
            }
        }
    }

    /** A table named after the entity, with no mapped columns. */
    public static PostgresTable of(String entity) {
        return new PostgresTable(entity, entity.toLowerCase().replaceAll("[^a-z0-9_]", "_"), List.of());
    }
}
