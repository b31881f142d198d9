package dev.ferry.benchmark.process;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.concurrent.locks.LockSupport;

/**
 * What each process costs standing by with nothing written (cores): lease renewals, change-stream and consumer polls,
 * the broker's own work. Read from {@code /proc} at both ends of a window, each process separately, so the embedded
 * stack's figure and each Ferry process's can be held against their limits (issue 30: stack ≤ 0.05 core, each Ferry
 * process ≤ 0.02 core over 60 s).
 */
public final class IdleCores {

    /** The window a figure is quoted for; shorter ones (smoke runs) are noisier, dominated by single ticks. */
    public static final Duration DEFAULT_WINDOW = Duration.ofSeconds(60);

    private IdleCores() {
    }

    /**
     * Waits {@code window} and returns each process's CPU over it ÷ the window.
     *
     * @param cpuNanos each process's CPU so far, by role
     */
    public static Map<String, Double> measure(Duration window, Supplier<Map<String, Long>> cpuNanos) {
        Map<String, Long> before = cpuNanos.get();
        long started = System.nanoTime();
        long deadline = started + window.toNanos();
        for (long left = window.toNanos(); left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(left); // may return early
        }
        Map<String, Long> after = cpuNanos.get();
        double elapsed = System.nanoTime() - started; // divide by what passed, not by what was asked
        Map<String, Double> cores = new LinkedHashMap<>();
        after.forEach((role, nanos) -> cores.put(role, (nanos - before.getOrDefault(role, nanos)) / elapsed));
        return cores;
    }

    /** Each of {@code pids}' CPU so far (from /proc), by role. */
    public static Map<String, Long> cpuNanosOf(Map<String, Long> pids) {
        Map<String, Long> cpu = new LinkedHashMap<>();
        pids.forEach((role, pid) -> cpu.put(role, ProcessCpu.sample(pid).cpuNanos()));
        return cpu;
    }
}
