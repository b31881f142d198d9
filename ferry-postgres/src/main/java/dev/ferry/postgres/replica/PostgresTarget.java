package dev.ferry.postgres.replica;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A PostgreSQL replica target as configured.
 *
 * @param jdbcUrl            {@code jdbc:postgresql://host:port/database}, with any driver options
 * @param user               may be null if the URL names it
 * @param password           may be null if the URL names it or the server trusts the client
 * @param poolSize           connections at most (HikariCP)
 * @param tombstoneRetention how long a delete's tombstone is kept: at least the topic's retention
 * @param tables             one per entity replicated
 */
public record PostgresTarget(String jdbcUrl, String user, String password, int poolSize, Duration tombstoneRetention,
                             List<PostgresTable> tables) {

    public PostgresTarget {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(tombstoneRetention, "tombstoneRetention");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:, was '" + jdbcUrl + "'");
        }
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be at least 1, was " + poolSize);
        }
        if (tombstoneRetention.isNegative()) {
            throw new IllegalArgumentException("tombstoneRetention must not be negative, was " + tombstoneRetention);
        }
        tables = List.copyOf(tables);
        if (tables.isEmpty()) {
            throw new IllegalArgumentException("tables must name at least one entity");
        }
        Set<String> entities = new HashSet<>();
        Set<String> names = new HashSet<>();
        for (PostgresTable table : tables) {
            if (!entities.add(table.entity())) {
                throw new IllegalArgumentException("entity " + table.entity() + " has two tables");
            }
            if (!names.add(table.table())) {
                throw new IllegalArgumentException("table " + table.table() + " is used by two entities");
            }
        }
    }
}
