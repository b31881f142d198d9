package dev.ferry.benchmark.pipeline;

import java.util.Locale;

import dev.ferry.benchmark.process.AdminEndpoint;
import dev.ferry.benchmark.process.ProcessCpu;

/**
 * What one process spent on a measured window, per event: all its CPU (from {@code /proc}), its garbage collector's
 * CPU, what it allocated and how long its collector paused it (from its admin {@code /metrics}, where it has one), and
 * its resident memory at the end.
 */
record ProcessCost(double cpuMicrosPerEvent, double gcCpuMicrosPerEvent, double allocatedBytesPerEvent,
                   double gcPauseMillis, long rssMegabytes) {

    /** Where a window starts, for one process. */
    record Mark(long pid, ProcessCpu.Sample cpu, AdminEndpoint.Metrics metrics) {

        static Mark of(long pid, AdminEndpoint admin) throws Exception {
            return new Mark(pid, ProcessCpu.sample(pid), admin == null ? null : admin.metrics());
        }

        ProcessCost until(Mark end, double events) {
            ProcessCpu.Sample spent = end.cpu.since(cpu);
            double allocated = metrics == null ? Double.NaN
                : end.metrics.sum("jvm_gc_memory_allocated_bytes_total") - metrics.sum("jvm_gc_memory_allocated_bytes_total");
            double paused = metrics == null ? Double.NaN
                : (end.metrics.sum("jvm_gc_pause_seconds_sum") - metrics.sum("jvm_gc_pause_seconds_sum")) * 1000;
            return new ProcessCost(spent.cpuNanos() / 1e3 / events, spent.gcNanos() / 1e3 / events, allocated / events,
                paused, spent.rssBytes() >> 20);
        }
    }

    String toJson() {
        return String.format(Locale.ROOT, "{\"cpuMicrosPerEvent\":%.1f,\"gcCpuMicrosPerEvent\":%.1f,"
                + "\"allocatedBytesPerEvent\":%s,\"gcPauseMillis\":%s,\"rssMegabytes\":%d}", cpuMicrosPerEvent,
            gcCpuMicrosPerEvent, number(allocatedBytesPerEvent), number(gcPauseMillis), rssMegabytes);
    }

    static String number(double value) {
        return Double.isNaN(value) ? "null" : String.format(Locale.ROOT, "%.1f", value);
    }
}
