package dev.ferry.embedded.nats;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import dev.ferry.embedded.LocalServerFiles;

/**
 * A real {@code nats-server} (the Debian package, 2.9.10) as a child process on a free loopback port, with JetStream
 * storing into a temporary directory. It can be stopped and started again on the same port and directory, for
 * outage tests. There is no NATS server for the JVM, so unlike Kafka and MongoDB this piece needs a binary: one not
 * found fails with the install step ({@link #INSTALL_HINT}); nothing skips silently.
 */
public final class NatsServerProcess implements AutoCloseable {

    /** What to do when the binary is missing; CI ({@code .ci/run}) does it itself. */
    public static final String INSTALL_HINT = "install it with `apt-get install nats-server` (Debian/Ubuntu, 2.9.10), "
        + "or run the tests with `.ci/run`, which installs it; FERRY_NATS_SERVER may name the binary";

    private static final long READY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(20);

    private final Path binary;
    private final Path storeDir;
    private final Path logFile;
    private final int port;
    /** One per server, whatever the number of restarts: a JVM that exits (Ctrl-C too) leaves no server behind. */
    private final Thread shutdownHook;
    private volatile Process process;

    private NatsServerProcess(Path binary, Path storeDir, int port) {
        this.binary = binary;
        this.storeDir = storeDir;
        this.logFile = storeDir.resolve("nats-server.log");
        this.port = port;
        this.shutdownHook = new Thread(() -> {
            Process running = process;
            if (running != null) {
                running.destroyForcibly();
            }
        }, "nats-server-stop");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a server with JetStream on a fresh temporary directory and a free loopback port. */
    public static NatsServerProcess start() {
        Path binary = locateBinary().orElseThrow(() -> new IllegalStateException(
            "nats-server not found (FERRY_NATS_SERVER, PATH, /usr/sbin, /usr/local/bin): " + INSTALL_HINT));
        try {
            NatsServerProcess server = new NatsServerProcess(binary, Files.createTempDirectory("ferry-nats-"), LocalServerFiles.freeLoopbackPort());
            try {
                server.startProcess();
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
            return server;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the NATS store directory", e);
        }
    }

    /** {@code nats://127.0.0.1:port}. */
    public String url() {
        return "nats://127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path storeDir() {
        return storeDir;
    }

    /** The running server's process id (a benchmark reads its CPU from {@code /proc}). */
    public synchronized long pid() {
        if (process == null) {
            throw new IllegalStateException("nats-server is stopped");
        }
        return process.pid();
    }

    /** Stops the server (SIGTERM, then waits): clients see it gone until {@link #restart()}. */
    public synchronized void stop() {
        if (process != null) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            process = null;
        }
    }

    /** Starts the server again on the same port with the store it had. */
    public synchronized void restart() {
        if (process == null) {
            startProcess();
        }
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() {
        stop();
        LocalServerFiles.deleteDirectory(storeDir);
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway, and finds nothing to stop
        }
    }

    private synchronized void startProcess() {
        List<String> command = new ArrayList<>(List.of(binary.toString(), "-a", "127.0.0.1", "-p",
            String.valueOf(port), "-js", "-sd", storeDir.toString(), "-l", logFile.toString()));
        long startedAt = System.nanoTime();
        long logOffset = logFile.toFile().length();
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + binary + ": " + INSTALL_HINT, e);
        }
        Process started = process;
        // Ready once it says so in this start's part of the log (JetStream has recovered its streams by then).
        while (!logSince(logOffset).contains("Server is ready")) {
            if (!started.isAlive()) {
                process = null;
                throw new IllegalStateException("nats-server exited with " + started.exitValue() + " on start: "
                    + logSince(logOffset).strip());
            }
            if (System.nanoTime() - startedAt > READY_TIMEOUT_NANOS) {
                stop();
                throw new IllegalStateException("nats-server not ready within 20 s: " + logSince(logOffset).strip());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    private String logSince(long offset) {
        try {
            byte[] all = Files.exists(logFile) ? Files.readAllBytes(logFile) : new byte[0];
            int from = (int) Math.min(offset, all.length);
            return new String(all, from, all.length - from, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    static Optional<Path> locateBinary() {
        String named = System.getenv("FERRY_NATS_SERVER");
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named)).filter(Files::isExecutable);
        }
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)));
        dirs.addAll(List.of("/usr/sbin", "/usr/local/bin", "/usr/bin"));
        return dirs.stream().filter(dir -> !dir.isEmpty()).map(dir -> Path.of(dir, "nats-server"))
            .filter(Files::isExecutable).findFirst();
    }
}
