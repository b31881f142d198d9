package dev.ferry.benchmark.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

import org.junit.jupiter.api.Test;

class ProcessCpuTest {

    @Test
    void aProcessCpuIncludesWorkDoneSinceTheLastSampleAndItsResidentMemory() {
        long pid = ProcessHandle.current().pid();
        ProcessCpu.Sample before = ProcessCpu.sample(pid);
        ThreadMXBean thread = ManagementFactory.getThreadMXBean();
        long until = thread.getCurrentThreadCpuTime() + 200_000_000L;
        double sink = 0;
        while (thread.getCurrentThreadCpuTime() < until) {
            sink += Math.sqrt(sink + 1); // 0.2 s of CPU on this thread, however busy the machine
        }
        ProcessCpu.Sample spent = ProcessCpu.sample(pid).since(before);

        assertThat(sink).isPositive();
        assertThat(spent.cpuNanos()).isGreaterThanOrEqualTo(190_000_000L);
        assertThat(spent.rssBytes()).isPositive();
        assertThat(spent.jitNanos()).isGreaterThanOrEqualTo(0);
    }
}
