package dev.ferry.benchmark.replication;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import dev.ferry.core.wire.EventJson;

/** The machine a figure was measured on, as a report names it: cores, memory and CPU model (from /proc/cpuinfo). */
public record Machine(int cores, double memoryGiB, String cpuModel, String java) {

    public static Machine ofThisHost() {
        long memory = ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
            ? os.getTotalMemorySize() : 0;
        return new Machine(Runtime.getRuntime().availableProcessors(), memory / (double) (1L << 30), readCpuModel(),
            System.getProperty("java.version"));
    }

    /** The 1, 5 and 15-minute load averages now ("a / b / c"): how busy the machine was around a measurement. */
    public static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return fields[0] + " / " + fields[1] + " / " + fields[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    private static String readCpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(line -> line.startsWith("model name"))
                .map(line -> line.substring(line.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
        } catch (IOException | RuntimeException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    public String describe() {
        return String.format(Locale.ROOT, "%d cores, %.0f GiB, %s, Java %s", cores, memoryGiB, cpuModel, java);
    }

    public String toJson() {
        return String.format(Locale.ROOT, "{\"cores\":%d,\"memoryGiB\":%.1f,\"cpuModel\":%s,\"java\":%s}", cores,
            memoryGiB, EventJson.quote(cpuModel), EventJson.quote(java));
    }
}
