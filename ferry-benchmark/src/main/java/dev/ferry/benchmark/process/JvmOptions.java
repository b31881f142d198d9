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

    private JvmOptions() {
    }
}
