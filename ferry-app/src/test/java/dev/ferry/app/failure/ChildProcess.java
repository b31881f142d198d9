package dev.ferry.app.failure;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Ferry process started from the built jar, its output in files, killable as an operating system would. */
public final class ChildProcess {

    private final String name;
    private final Process process;
    private final Path out;
    private final Path err;

    private ChildProcess(String name, Process process, Path out, Path err) {
        this.name = name;
        this.process = process;
        this.out = out;
        this.err = err;
    }

    public static ChildProcess start(String name, Path jar, Path logs, Map<String, String> env, String... args) throws IOException {
        return start(name, jar, logs, env, List.of("-Xmx384m"), args);
    }

    /** @param jvmOptions e.g. the heap limit a test asserts the process stays within */
    public static ChildProcess start(String name, Path jar, Path logs, Map<String, String> env, List<String> jvmOptions,
                                     String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.add("-XX:TieredStopAtLevel=1"); // start fast; these processes are short-lived
        command.add("-jar");
        command.add(jar.toString());
        command.addAll(List.of(args));
        Path out = logs.resolve(name + ".out");
        Path err = logs.resolve(name + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(env);
        return new ChildProcess(name, builder.start(), out, err);
    }

    /**
     * A process running {@code mainClass} from the built jar plus {@code extraClasspath} (e.g. this module's test
     * classes), for a test that needs a hook of its own in the child (a gate in a writer) without touching the jar.
     */
    public static ChildProcess startMain(String name, Path jar, List<Path> extraClasspath, String mainClass, Path logs,
                                         Map<String, String> env, List<String> jvmOptions, String... args)
        throws IOException {
        List<String> command = new ArrayList<>();
        command.add(ProcessHandle.current().info().command().orElse("java"));
        command.addAll(jvmOptions);
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        List<String> classpath = new ArrayList<>();
        classpath.add(jar.toString());
        extraClasspath.forEach(path -> classpath.add(path.toString()));
        command.add(String.join(java.io.File.pathSeparator, classpath));
        command.add(mainClass);
        command.addAll(List.of(args));
        Path out = logs.resolve(name + ".out");
        Path err = logs.resolve(name + ".err");
        ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
        builder.environment().putAll(env);
        return new ChildProcess(name, builder.start(), out, err);
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    /** Waits for a line of stdout or stderr matching {@code regex}; returns its first group. */
    public String awaitLine(String regex, Duration atMost) {
        Pattern pattern = Pattern.compile(regex);
        String[] found = new String[1];
        await().atMost(atMost).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + ": " + tail());
            }
            Optional<String> line = find(pattern);
            line.ifPresent(value -> found[0] = value);
            return line.isPresent();
        });
        return found[0];
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

    public void send(String line) throws IOException {
        OutputStream stdin = process.getOutputStream();
        stdin.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        stdin.flush();
    }

    /** kill -9. */
    public void kill() {
        process.destroyForcibly();
        try {
            // SIGKILL cannot be ignored: a process still there after this is a machine in trouble, said at once.
            if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
                throw new IllegalStateException(name + " (pid " + process.pid() + ") still alive 30 s after kill -9");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public void signal(String signal) throws IOException, InterruptedException {
        if (process.isAlive()) {
            new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid()))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .start().waitFor();
        }
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public String tail() {
        try {
            List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    /** Always called: resumes a stopped process so that the kill lands, then kills it and anything it started. */
    public void destroy() {
        try {
            signal("CONT");
        } catch (IOException | InterruptedException e) {
            // best effort
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        kill();
    }
}
