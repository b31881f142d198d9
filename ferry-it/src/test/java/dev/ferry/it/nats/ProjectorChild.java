package dev.ferry.it.nats;

import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import org.awaitility.core.ConditionTimeoutException;

/**
 * A {@link NatsProjectorProcess} in a JVM of its own (this test JVM's class path), killable with SIGKILL. Its last
 * reported status is kept; its log goes to {@code target/nats-projector-processes/<instance>.log}.
 */
final class ProjectorChild implements AutoCloseable {

    /** What the child last said it did: only to time a kill. */
    record Status(long applied, Set<String> owned) {
    }

    private final String instanceId;
    private final Process process;
    private final Path log;
    private volatile Status status = new Status(0, Set.of());

    private ProjectorChild(String instanceId, Process process, Path log) {
        this.instanceId = instanceId;
        this.process = process;
        this.log = log;
        Thread reader = new Thread(this::readStatus, "status-of-" + instanceId);
        reader.setDaemon(true);
        reader.start();
    }

    static ProjectorChild start(String instanceId, String mongoUri, String database, String natsUrl, String stream,
                                String projection) throws IOException {
        Path logs = Files.createDirectories(Path.of("target", "nats-projector-processes"));
        Path log = logs.resolve(instanceId + "-" + System.nanoTime() + ".log");
        // Failsafe runs tests from a manifest-only jar; the real test class path is in this property.
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
            "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", classpath, NatsProjectorProcess.class.getName(),
            mongoUri, database, natsUrl, stream, projection, instanceId));
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        return new ProjectorChild(instanceId, process, log);
    }

    private void readStatus() {
        try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
            StandardCharsets.UTF_8))) {
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                String[] parts = line.split(" ", 3);
                if (parts.length >= 2 && parts[0].equals("STATUS")) {
                    Set<String> owned = parts.length == 3 && !parts[2].isBlank()
                        ? new TreeSet<>(Arrays.asList(parts[2].split(","))) : Set.of();
                    status = new Status(Long.parseLong(parts[1]), owned);
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }

    String instanceId() {
        return instanceId;
    }

    Status status() {
        return status;
    }

    /**
     * Waits until the reported status satisfies {@code condition}; false if {@code giveUp} turned true first, an
     * assertion error naming the last status if neither happened within {@code atMost} or the process died.
     */
    boolean awaitStatus(Predicate<Status> condition, BooleanSupplier giveUp, Duration atMost) {
        try {
            await().atMost(atMost).pollInterval(Duration.ofMillis(20)).until(() -> {
                if (!process.isAlive()) {
                    throw new AssertionError(instanceId + " exited with " + process.exitValue() + "; see " + log);
                }
                return condition.test(status) || giveUp.getAsBoolean();
            });
        } catch (ConditionTimeoutException e) {
            throw new AssertionError(instanceId + " did not reach the awaited status within " + atMost.toSeconds()
                + " s; last " + status + "; see " + log, e);
        }
        return condition.test(status);
    }

    /** SIGKILL, and waits until the operating system has reaped it: from then on it sends nothing. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) { // a SIGKILLed process is reaped at once; this only bounds a hang
            throw new AssertionError(instanceId + " (pid " + process.pid() + ") still alive 30 s after SIGKILL");
        }
    }

    /** Clean-up: SIGKILL, and waits (bounded) until it is reaped, so no child outlives the test that started it. */
    @Override
    public void close() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) { // reaped at once after SIGKILL; this only bounds a hang
                throw new IllegalStateException(instanceId + " (pid " + process.pid() + ") still alive 30 s after "
                    + "SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
