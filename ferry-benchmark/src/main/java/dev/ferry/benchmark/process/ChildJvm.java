package dev.ferry.benchmark.process;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A process the benchmark started, its output in files, stoppable and killable as an operating system would. */
public final class ChildJvm implements AutoCloseable {

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    /** Kills the process if the benchmark's own JVM ends first (Ctrl-C, an exception out of main). */
    private final Thread orphanGuard;

    private ChildJvm(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
        this.orphanGuard = new Thread(() -> {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }, "kill-" + name);
        Runtime.getRuntime().addShutdownHook(orphanGuard);
    }

    static ChildJvm start(String name, List<String> command, Map<String, String> env, Path logs) throws IOException {
        Files.createDirectories(logs);
        Path out = logs.resolve(name + ".out");
        Path err = logs.resolve(name + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().remove("JAVA_TOOL_OPTIONS");
        builder.environment().remove("FERRY_JAVA_OPTS");
        builder.environment().putAll(env);
        return new ChildJvm(name, builder.start(), out, err);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The exit status of a process that ended. */
    public int exitValue() {
        return process.exitValue();
    }

    /** Waits for a line of stdout or stderr matching {@code regex}; returns its first group (or the line). */
    public String awaitLine(String regex, Duration atMost) throws IOException {
        Pattern pattern = Pattern.compile(regex);
        long deadline = System.nanoTime() + atMost.toNanos();
        while (true) {
            Optional<String> line = find(pattern);
            if (line.isPresent()) {
                return line.get();
            }
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + tail());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(name + " printed no line matching '" + regex + "' within " + atMost
                    + ": " + tail());
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    /** Every line of stdout matching {@code regex}, first group of each, in order. */
    public List<String> stdoutLines(String regex) throws IOException {
        Pattern pattern = Pattern.compile(regex);
        return Files.readAllLines(out, StandardCharsets.UTF_8).stream().map(pattern::matcher).filter(Matcher::find)
            .map(m -> m.groupCount() > 0 ? m.group(1) : m.group()).toList();
    }

    /** How many lines of stdout and stderr so far match {@code pattern}; a killed process's log still counts. */
    public long countLines(Pattern pattern) {
        long count = 0;
        for (Path file : List.of(out, err)) {
            try {
                count += Files.readAllLines(file, StandardCharsets.UTF_8).stream().filter(line -> pattern.matcher(line).find())
                    .count();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("cannot read " + file, e);
            }
        }
        return count;
    }

    private Optional<String> find(Pattern pattern) throws IOException {
        for (Path file : List.of(out, err)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                Matcher matcher = pattern.matcher(line);
                if (matcher.find()) {
                    return Optional.of(matcher.groupCount() > 0 ? matcher.group(1) : line);
                }
            }
        }
        return Optional.empty();
    }

    /** Waits for the process to exit by itself; fails with its log tail on a non-zero status or a timeout. */
    public void awaitExit(Duration atMost) throws IOException, InterruptedException {
        if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException(name + " did not finish within " + atMost + ": " + tail());
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + tail());
        }
    }

    public void send(String line) throws IOException {
        OutputStream stdin = process.getOutputStream();
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** kill -9, and waits until it is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGSTOP (frozen: no thread runs, no socket is closed) or SIGCONT. */
    public void signal(String signal) throws IOException, InterruptedException {
        if (process.isAlive()) {
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
        }
    }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Resumes a stopped process so that the kill lands, then kills it and anything it started. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(orphanGuard);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs anyway
        }
        try {
            signal("CONT");
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            kill();
        } catch (IOException e) {
            process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
