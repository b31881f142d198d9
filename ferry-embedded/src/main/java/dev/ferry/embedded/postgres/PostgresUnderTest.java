package dev.ferry.embedded.postgres;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.UUID;

/**
 * The PostgreSQL an integration test talks to: a real server named by {@code FERRY_POSTGRES_URL} (a JDBC URL with its
 * user and password, e.g. {@code jdbc:postgresql://db:5432/ferry?user=ferry&password=…}) when it is set, else an
 * {@link EmbeddedPostgresServer} started for the test. Each instance works in a schema of its own, created on start
 * and dropped on close, so runs against a shared server do not collide: {@link #jdbcUrl()} selects it.
 */
public final class PostgresUnderTest implements AutoCloseable {

    public static final String URL_VARIABLE = "FERRY_POSTGRES_URL";

    private final EmbeddedPostgresServer embedded;
    private final String serverUrl;
    private final String schema;

    private PostgresUnderTest(EmbeddedPostgresServer embedded, String serverUrl, String schemaPrefix) {
        this.embedded = embedded;
        this.serverUrl = serverUrl;
        this.schema = schemaPrefix.toLowerCase() + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    /** A PostgreSQL with a fresh schema named after {@code schemaPrefix} (letters, digits and underscores). */
    public static PostgresUnderTest start(String schemaPrefix) {
        if (!schemaPrefix.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("a schema prefix is letters, digits and underscores, was '" + schemaPrefix + "'");
        }
        Optional<String> real = realPostgresUrl();
        EmbeddedPostgresServer embedded = real.isPresent() ? null : EmbeddedPostgresServer.start();
        PostgresUnderTest postgres = new PostgresUnderTest(embedded, real.orElseGet(() -> embedded.jdbcUrl()), schemaPrefix);
        try {
            postgres.execute("CREATE SCHEMA " + postgres.schema);
        } catch (RuntimeException e) {
            postgres.close();
            throw e;
        }
        return postgres;
    }

    public static Optional<String> realPostgresUrl() {
        return Optional.ofNullable(System.getenv(URL_VARIABLE)).filter(url -> !url.isBlank());
    }

    /** The server's URL with this instance's schema as the current one (unqualified tables are made there). */
    public String jdbcUrl() {
        return serverUrl + (serverUrl.contains("?") ? "&" : "?") + "currentSchema=" + schema;
    }

    public String schema() {
        return schema;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    /**
     * An outage: the embedded server stops (clients see it gone until {@link #startServer()}); an external server
     * cannot be stopped from here, so every other connection to its database is ended instead
     * ({@code pg_terminate_backend}), the nearest to a restart a client can cause.
     */
    public void stopServer() {
        if (embedded != null) {
            embedded.stop();
        } else {
            execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                + "WHERE datname = current_database() AND pid <> pg_backend_pid()");
        }
    }

    /** Ends the outage {@link #stopServer()} began (the embedded server starts again on its port with its data). */
    public void startServer() {
        if (embedded != null) {
            embedded.restart();
        }
    }

    /** Runs one statement on a connection of its own, in this instance's schema. */
    public void execute(String sql) {
        try (Connection connection = DriverManager.getConnection(jdbcUrl()); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        } catch (SQLException e) {
            throw new IllegalStateException(sql + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            if (embedded == null) {
                execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        } finally {
            if (embedded != null) {
                embedded.close(); // the whole server and its data go
            }
        }
    }
}
