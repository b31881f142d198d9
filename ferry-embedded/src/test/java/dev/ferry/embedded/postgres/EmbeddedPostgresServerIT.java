package dev.ferry.embedded.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded PostgreSQL is a real server that keeps its data over a restart and never outlives its owner. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class EmbeddedPostgresServerIT {

    @Test
    void aRealServerKeepsItsDataOverARestartOnTheSamePort() throws Exception {
        try (EmbeddedPostgresServer server = EmbeddedPostgresServer.start()) {
            assertThat(server.dataDirectory()).startsWith(EmbeddedPostgresServer.DEFAULT_ROOT.toAbsolutePath());
            assertThat(query(server.jdbcUrl(), "SHOW server_version")).startsWith("17.");
            assertThat(query(server.jdbcUrl(), "SHOW synchronous_commit")).as("a commit survives a killed server").isEqualTo("on");
            update(server.jdbcUrl(), "CREATE TABLE kept (id int primary key); INSERT INTO kept VALUES (7)");

            server.stop();
            assertThat(server.isRunning()).isFalse();
            server.restart();

            assertThat(query(server.jdbcUrl(), "SELECT id FROM kept")).isEqualTo("7");
        }
    }

    @Test
    void closingStopsTheServerAndRemovesItsData() throws Exception {
        EmbeddedPostgresServer server = EmbeddedPostgresServer.start();
        ProcessHandle postmaster = ProcessHandle.of(server.pid()).orElseThrow();
        Path data = server.dataDirectory();

        server.close();

        // pg_ctl returns once the pid file is gone; the process itself ends a moment later
        await().atMost(Duration.ofSeconds(10)).until(() -> !EmbeddedPostgresServer.isRunning(postmaster));
        assertThat(data).doesNotExist();
    }

    /** A JVM killed with SIGKILL runs no shutdown hook: the next start under the same root stops its server. */
    @Test
    void aServerLeftByAKilledJvmIsStoppedByTheNextStart() throws Exception {
        // the default root, whose binaries are unpacked already; this JVM's own live servers there are left alone
        Path root = EmbeddedPostgresServer.DEFAULT_ROOT.toAbsolutePath();
        Process owner = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path"), AbandonedServerOwner.class.getName(), root.toString())
            .redirectErrorStream(true).start();
        try {
            String[] said = readPidAndData(owner);
            ProcessHandle postmaster = ProcessHandle.of(Long.parseLong(said[0])).orElseThrow();
            Path data = Path.of(said[1]);
            assertThat(data).exists();

            owner.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
            assertThat(EmbeddedPostgresServer.isRunning(postmaster)).as("the server outlives its killed JVM").isTrue();

            try (EmbeddedPostgresServer next = EmbeddedPostgresServer.start(root)) {
                await().atMost(Duration.ofSeconds(30)).until(() -> !EmbeddedPostgresServer.isRunning(postmaster));
                assertThat(next.isRunning()).isTrue();
            }
            assertThat(data).as("the abandoned server's data is deleted").doesNotExist();
        } finally {
            owner.destroyForcibly();
            EmbeddedPostgresServer.stopAbandoned(root);
        }
    }

    /** The owner JVM's server: its postmaster's pid and its data directory. */
    private static String[] readPidAndData(Process owner) throws Exception {
        BufferedReader lines = new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8));
        List<String> seen = new java.util.ArrayList<>();
        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
            if (line.startsWith(AbandonedServerOwner.PID_LINE)) {
                return line.substring(AbandonedServerOwner.PID_LINE.length()).strip().split(" ", 2);
            }
            seen.add(line);
        }
        throw new AssertionError("the owner JVM exited without starting a server: " + String.join("\n", seen));
    }

    static String query(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getString(1) : null;
        }
    }

    static void update(String url, String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(url); Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    /** A JVM that starts a server, says its pid, and waits to be killed. */
    public static final class AbandonedServerOwner {
        static final String PID_LINE = "postmaster pid: ";

        public static void main(String[] args) throws Exception {
            EmbeddedPostgresServer server = EmbeddedPostgresServer.start(Path.of(args[0]));
            System.out.println(PID_LINE + server.pid() + " " + server.dataDirectory());
            System.out.flush();
            Optional.ofNullable(System.in).orElseThrow().read(); // until killed
        }
    }
}
