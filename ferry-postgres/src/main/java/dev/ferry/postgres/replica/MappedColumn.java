package dev.ferry.postgres.replica;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A column of a replica table filled from one field of the document, so that SQL can filter and index it without
 * reaching into {@code document}. The value is read from the document's canonical Extended JSON as
 * {@link DocumentFields} describes, and cast to {@code sqlType} by PostgreSQL ({@code CAST(value AS sqlType)}); a
 * value the type does not accept fails the write with PostgreSQL's message.
 *
 * @param name    the column's name: lower-case letters, digits and underscores
 * @param field   the field's path in the document, dot-separated ({@code address.city}; a number selects an array
 *                element, {@code phones.0})
 * @param sqlType a PostgreSQL type: {@code text}, {@code bigint}, {@code numeric(12,2)}, {@code timestamptz},
 *                {@code boolean}, {@code jsonb}, {@code text[]}, …
 */
public record MappedColumn(String name, String field, String sqlType) {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern FIELD = Pattern.compile("[^.$\\s][^.\\s]*(\\.[^.$\\s][^.\\s]*)*");
    /** A type name, optionally with a modifier and array brackets; nothing else, so configuration cannot inject SQL. */
    private static final Pattern SQL_TYPE = Pattern.compile("[a-z][a-z0-9_ ]*(\\(\\s*\\d+\\s*(,\\s*\\d+\\s*)?\\))?(\\[\\])?");
    /** Ferry's own columns. */
    static final Set<String> RESERVED = Set.of("id", "version", "document", "deleted_at");

    public MappedColumn {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(field, "field");
        Objects.requireNonNull(sqlType, "sqlType");
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException("column name '" + name + "' must be lower-case letters, digits and underscores");
        }
        if (RESERVED.contains(name)) {
            throw new IllegalArgumentException("column name '" + name + "' is one of Ferry's own columns " + RESERVED);
        }
        if (!FIELD.matcher(field).matches()) {
            throw new IllegalArgumentException("field '" + field + "' of column " + name + " must be a dot-separated path");
        }
        sqlType = sqlType.strip().toLowerCase();
        if (!SQL_TYPE.matcher(sqlType).matches()) {
            throw new IllegalArgumentException("sqlType '" + sqlType + "' of column " + name + " is not a type name");
        }
    }

    List<String> path() {
        return List.of(field.split("\\."));
    }
}
