package dev.ferry.benchmark.process;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A process's CPU and memory as Linux accounts them ({@code /proc/<pid>}): all its CPU (user + system time of every
 * thread, ended ones included), the part its garbage collector's and JIT compiler's threads used, and its resident
 * memory. Read from outside, so it counts what the JVM's own beans miss (GC and compiler threads) and needs no help
 * from the process.
 */
public final class ProcessCpu {

    /** Linux's USER_HZ: /proc counts CPU time in these ticks (100 on every mainstream architecture). */
    private static final long TICKS_PER_SECOND = 100;
    private static final long NANOS_PER_TICK = 1_000_000_000L / TICKS_PER_SECOND;
    /** HotSpot's garbage-collector threads (G1, Serial via the VM thread, ZGC), by their 15-character OS names. */
    private static final List<String> GC_THREADS = List.of("GC Thread", "G1 ", "VM Thread", "ZWorker", "ZDriver",
        "ZDirector");
    private static final List<String> JIT_THREADS = List.of("C1 CompilerThre", "C2 CompilerThre");

    /**
     * One reading.
     *
     * @param cpuNanos all CPU time since the process started
     * @param gcNanos  CPU time of the live garbage-collector threads
     * @param jitNanos CPU time of the live JIT compiler threads
     * @param rssBytes resident memory now
     */
    public record Sample(long cpuNanos, long gcNanos, long jitNanos, long rssBytes) {

        /** What was spent from {@code earlier} to this reading; the resident memory is this reading's. */
        public Sample since(Sample earlier) {
            return new Sample(cpuNanos - earlier.cpuNanos, gcNanos - earlier.gcNanos, jitNanos - earlier.jitNanos,
                rssBytes);
        }
    }

    private ProcessCpu() {
    }

    public static Sample sample(long pid) {
        Path proc = Path.of("/proc", Long.toString(pid));
        try {
            long cpu = ticks(Files.readString(proc.resolve("stat"), StandardCharsets.US_ASCII));
            long gc = 0;
            long jit = 0;
            try (Stream<Path> tasks = Files.list(proc.resolve("task"))) {
                for (Path task : tasks.toList()) {
                    String stat;
                    try {
                        stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
                    } catch (IOException ended) {
                        continue; // the thread ended between listing and reading
                    }
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    if (GC_THREADS.stream().anyMatch(name::startsWith)) {
                        gc += ticks(stat);
                    } else if (JIT_THREADS.stream().anyMatch(name::startsWith)) {
                        jit += ticks(stat);
                    }
                }
            }
            return new Sample(cpu * NANOS_PER_TICK, gc * NANOS_PER_TICK, jit * NANOS_PER_TICK, rss(proc));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + proc + " (Linux only): " + e.getMessage(), e);
        }
    }

    /** utime + stime: fields 14 and 15 of stat, counted after the parenthesised command name (which may hold spaces). */
    private static long ticks(String stat) {
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    private static long rss(Path proc) throws IOException {
        for (String line : Files.readAllLines(proc.resolve("status"), StandardCharsets.US_ASCII)) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        return 0;
    }
}
