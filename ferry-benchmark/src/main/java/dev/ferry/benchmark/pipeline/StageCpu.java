package dev.ferry.benchmark.pipeline;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * CPU time spent between two points, by pipeline stage (threads grouped by name), so a benchmark can say which
 * stage costs what per event. Everything runs in one JVM, so the embedded servers' threads are counted too.
 */
final class StageCpu {

    private static final Map<String, String> STAGES = new LinkedHashMap<>();

    static {
        STAGES.put("data-plane-kafka", "embedded Kafka"); // before "lane-", which it contains
        STAGES.put("mongo-server", "embedded MongoDB");
        STAGES.put("relay-", "relay");
        STAGES.put("kafka-producer", "Kafka producer I/O");
        STAGES.put("kafka-coordinator-heartbeat", "projector consumer");
        STAGES.put("lane-", "projector handlers");
        STAGES.put("read-model-writer", "projector writes");
        STAGES.put("projector-", "projector consumer");
        STAGES.put("kafka-", "embedded Kafka");
        STAGES.put("group-coordinator", "embedded Kafka");
    }

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> start = new HashMap<>();
    private final long processStart = processCpuNanos();
    private final long jitStart = ManagementFactory.getCompilationMXBean().getTotalCompilationTime();
    private final long gcStart = gcMillis();

    StageCpu() {
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                start.put(info.getThreadId(), threads.getThreadCpuTime(info.getThreadId()));
            }
        }
    }

    /** CPU seconds per stage since construction (threads that ended meanwhile count as JIT and GC). */
    Map<String, Double> secondsByStage() {
        Map<String, Double> seconds = new LinkedHashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long now = threads.getThreadCpuTime(info.getThreadId());
            if (now < 0) {
                continue;
            }
            long spent = now - start.getOrDefault(info.getThreadId(), 0L);
            seconds.merge(stage(info.getThreadName()), spent / 1e9, Double::sum);
        }
        // The JIT compilers and the garbage collector run on threads the thread bean does not list.
        double threads = seconds.values().stream().mapToDouble(Double::doubleValue).sum();
        seconds.put("JIT and GC", Math.max(0, (processCpuNanos() - processStart) / 1e9 - threads));
        return seconds;
    }

    /** One line: microseconds of CPU per event by stage, biggest first, and the total. */
    String perEvent(long events, double wallSeconds) {
        Map<String, Double> seconds = secondsByStage();
        double total = seconds.values().stream().mapToDouble(Double::doubleValue).sum();
        String stages = seconds.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
            .filter(e -> e.getValue() > 0.01)
            .map(e -> String.format(Locale.ROOT, "%s %.0f", e.getKey(), e.getValue() * 1e6 / events))
            .collect(Collectors.joining(", "));
        return String.format(Locale.ROOT, "CPU µs/event: %s; total %.0f µs/event, %.2f of %d cores busy (JIT compiling "
                + "%.2f s, GC %.2f s)", stages, total * 1e6 / events, total / wallSeconds,
            Runtime.getRuntime().availableProcessors(),
            (ManagementFactory.getCompilationMXBean().getTotalCompilationTime() - jitStart) / 1e3,
            (gcMillis() - gcStart) / 1e3);
    }

    private static long gcMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream().mapToLong(gc -> Math.max(0, gc.getCollectionTime()))
            .sum();
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
            ? os.getProcessCpuTime() : 0;
    }

    private static String stage(String thread) {
        for (Map.Entry<String, String> entry : STAGES.entrySet()) {
            if (thread.contains(entry.getKey())) {
                return entry.getValue();
            }
        }
        return "other";
    }
}
