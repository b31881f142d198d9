package dev.ferry.benchmark.process;

import java.util.List;

/** The JVM options of each kind of process the benchmark starts. */
public final class JvmOptions {

    /**
     * The relay's and a projector's, as deployed: the Dockerfile's {@code JAVA_TOOL_OPTIONS} plus the memory the
     * Kubernetes manifest limits the container to (deploy/kubernetes/ferry.yaml: 768Mi), which a container JVM would
     * see as its RAM.
     */
    public static final List<String> DEPLOYED = List.of("-XX:MaxRAMPercentage=75", "-XX:+ExitOnOutOfMemoryError",
        "-XX:MaxRAM=768m");

    /**
     * The embedded stack's, standing in for Atlas and Kafka: the embedded MongoDB keeps every document on its heap, so
     * it gets ZGC (pauses under a millisecond) and half the machine's RAM, as {@code ./ferry embedded} does.
     */
    public static final List<String> STACK = List.of("-XX:+UseZGC", "-XX:MaxRAMPercentage=50");

    /**
     * Names the environment variable that replaces {@link #STACK} for one run (space-separated options), to compare the
     * stack's collectors by measurement; the stack stands in for Atlas and Kafka, so no deployment of Ferry has it.
     */
    public static final String STACK_OVERRIDE = "FERRY_STACK_JAVA_OPTS";

    private JvmOptions() {
    }

    /** The stack's options: {@link #STACK}, or those in {@value #STACK_OVERRIDE} if it is set. */
    public static List<String> stack() {
        String override = System.getenv(STACK_OVERRIDE);
        return override == null || override.isBlank() ? STACK : List.of(override.trim().split("\\s+"));
    }
}
