package dev.ferry.benchmark.process;

import java.util.Collection;
import java.util.regex.Pattern;

/**
 * Step-downs of a live leader, as its operator sees them: the lines Ferry's {@code Leadership} logs when an instance
 * that held a lease stops leading while its process runs — its renewals were not answered in time, or another instance
 * took the lease. A killed process logs nothing, so the failover scenario's deliberate kill -9 are not counted; a
 * frozen (SIGSTOP) one logs its step-down when it is released, which the catch-up therefore counts from after that.
 * Counts every lease a process holds: the relay's, and on NATS the projector's partition leases.
 */
public final class LeaderStepDowns {

    /** Leadership's two step-down lines ("... could not renew epoch 3 in time; stepping down", "... lost epoch 3 to ..."). */
    static final Pattern LINE = Pattern.compile("could not renew epoch \\d+ in time; stepping down"
        + "|lost epoch \\d+ to another instance");

    private LeaderStepDowns() {
    }

    /** Step-downs the processes have logged so far; a window's count is the difference of two readings. */
    public static long logged(Collection<ChildJvm> processes) {
        return processes.stream().mapToLong(process -> process.countLines(LINE)).sum();
    }

    /** Whether {@code line} is a step-down line. */
    static boolean isStepDown(String line) {
        return LINE.matcher(line).find();
    }
}
