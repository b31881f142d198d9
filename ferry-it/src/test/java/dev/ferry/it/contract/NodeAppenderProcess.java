package dev.ferry.it.contract;

import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.bson.BsonDocument;
import org.bson.BsonValue;

import dev.ferry.it.support.NodeProject;

/**
 * One Node appender racing others: {@code node test/it/append-race.mjs} in {@code clients/node}, the client's
 * {@code EventStore} appending its share of events to shared aggregates, retrying on conflicts. It connects, says it
 * is ready, and starts on {@link #go()}; what it printed is read back as its {@link AppendAttempt}s. Without Node.js or
 * the client's {@code npm ci} it fails, naming the step.
 */
final class NodeAppenderProcess {

    private static final Path CLIENT = NodeProject.CLIENT.directory();
    private static final String SCRIPT = "test/it/append-race.mjs";

    private final String writer;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private NodeAppenderProcess(String writer, Process process, Path stdout, Path stderr) {
        this.writer = writer;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /** Starts {@code writer} on the commits' collection: it connects and waits for {@link #go()}. */
    static NodeAppenderProcess start(String connectionString, String database, String collection, String writer,
                                     String aggregateType, List<String> aggregateIds, int events) throws IOException {
        String node = NodeProject.CLIENT.node("mongodb");
        Path stdout = Files.createTempFile(writer, ".out");
        Path stderr = Files.createTempFile(writer, ".err");
        Process process = new ProcessBuilder(node, SCRIPT, connectionString, database, collection, writer, aggregateType,
            String.join(",", aggregateIds), Integer.toString(events)).directory(CLIENT.toFile())
            .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        return new NodeAppenderProcess(writer, process, stdout, stderr);
    }

    /** Waits until it has connected to MongoDB; fails with what it wrote if it exits first. */
    void awaitReady(Duration atMost) {
        await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
            if (!process.isAlive()) {
                fail(writer + " exited (" + process.exitValue() + ") before it was ready: " + errors());
            }
            return lines().stream().anyMatch(line -> line.containsKey("ready"));
        });
    }

    /** Lets it start appending. Its stdin stays open: closing it would tell the script that the test is gone. */
    void go() {
        try {
            OutputStream stdin = process.getOutputStream();
            stdin.write("go\n".getBytes(StandardCharsets.UTF_8));
            stdin.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(writer + " could not be started: " + errors(), e);
        }
    }

    /**
     * Waits until it has appended its share, and returns every attempt it made. Fails if it did not finish in time or
     * exited with an error, and if a conflict it reported does not name the aggregate and the version it expected, or
     * does not carry the aggregate's newer version re-read after it.
     */
    List<AppendAttempt> awaitDone(Duration atMost) throws InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            fail(writer + " did not finish within " + atMost + "; it wrote: " + errors());
        }
        if (process.exitValue() != 0) {
            fail(writer + " failed (exit " + process.exitValue() + "): " + errors());
        }
        List<BsonDocument> lines = lines();
        if (lines.stream().noneMatch(line -> line.containsKey("done"))) {
            fail(writer + " exited without saying it was done: " + errors());
        }
        List<AppendAttempt> attempts = new ArrayList<>();
        for (BsonDocument line : lines) {
            if (line.containsKey("attempt")) {
                attempts.add(attempt(line));
            }
        }
        return attempts;
    }

    private AppendAttempt attempt(BsonDocument line) {
        String id = line.getString("attempt").getValue();
        String aggregateId = line.getString("aggregateId").getValue();
        long expected = line.get("expectedVersion").asNumber().longValue();
        if (line.getString("outcome").getValue().equals("appended")) {
            return AppendAttempt.appended(id, writer, aggregateId, expected, line.getArray("versions").getValues()
                .stream().map(version -> version.asNumber().longValue()).toList());
        }
        BsonDocument conflict = line.getDocument("conflict");
        BsonValue actual = conflict.get("actualVersion");
        boolean named = conflict.getString("name").getValue().equals("ConcurrencyConflict")
            && conflict.getString("code").getValue().equals("FERRY_CONCURRENCY_CONFLICT")
            && conflict.getString("aggregateId").getValue().equals(aggregateId)
            && conflict.get("expectedVersion").asNumber().longValue() == expected
            && actual.isNumber() && actual.asNumber().longValue() > expected;
        if (!named) {
            fail(writer + " reported a conflict that does not name the attempt's aggregate, its expected version and "
                + "a newer actual version: " + line.toJson());
        }
        return AppendAttempt.conflicted(id, writer, aggregateId, expected);
    }

    /** Kills it if it still runs (the test failed or is over). */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                throw new IllegalStateException(writer + " (pid " + process.pid() + ") did not exit when killed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                Files.deleteIfExists(stdout);
                Files.deleteIfExists(stderr);
            } catch (IOException e) {
                // temporary files; the process is what matters
            }
        }
    }

    private List<BsonDocument> lines() {
        try {
            // a line still being written has no newline yet: only whole lines count
            String printed = Files.readString(stdout);
            List<BsonDocument> lines = new ArrayList<>();
            int end;
            int from = 0;
            while ((end = printed.indexOf('\n', from)) >= 0) {
                lines.add(BsonDocument.parse(printed.substring(from, end)));
                from = end + 1;
            }
            return lines;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String errors() {
        try {
            return Files.readString(stderr);
        } catch (IOException e) {
            return "(its stderr could not be read: " + e + ")";
        }
    }
}
