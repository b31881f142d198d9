package dev.ferry.benchmark.process;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How to start a {@code ferry} subcommand in a JVM of its own: this JVM's java binary and class path, and the
 * executable's main class. The benchmark runs the relay, the projector, the embedded stack and the raw baselines this
 * way, each with the JVM options a deployment would give it.
 *
 * @param java      the java binary
 * @param classPath the class path holding Ferry (the shaded jar, or the build's class directories in tests)
 * @param mainClass the {@code ferry} executable's main class
 */
public record FerryLauncher(String java, String classPath, String mainClass) {

    /** The JVM running this code, for the given main class. */
    public static FerryLauncher ofThisJvm(String mainClass) {
        return new FerryLauncher(ProcessHandle.current().info().command().orElse("java"),
            System.getProperty("java.class.path"), mainClass);
    }

    /**
     * Starts {@code ferry <args>} with {@code jvmOptions}; stdout and stderr go to {@code <logs>/<name>.out|.err}. The
     * child does not inherit JAVA_TOOL_OPTIONS or FERRY_JAVA_OPTS: its options are exactly {@code jvmOptions}.
     */
    public ChildJvm start(String name, List<String> jvmOptions, Map<String, String> env, Path logs, List<String> args)
        throws IOException {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.addAll(args);
        return ChildJvm.start(name, command, env, logs);
    }
}
