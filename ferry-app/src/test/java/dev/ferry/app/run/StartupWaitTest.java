package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.ferry.core.transport.Unanswered;

/** The start-up wait on a simulated clock: the backoff, the probes' timeouts, the log lines and the final line. */
class StartupWaitTest {

    private long nanos;
    private final List<Duration> pauses = new ArrayList<>();
    private final List<Duration> probes = new ArrayList<>();
    private final List<String> lines = new ArrayList<>();

    /** Backends that answer from {@code answersAfter} on; each probe of an unreachable one takes its whole timeout. */
    private StartupWait wait(Duration timeout, Duration answersAfter) {
        StartupWait.Backends backends = probe -> {
            probes.add(probe);
            if (Duration.ofNanos(nanos).compareTo(answersAfter) >= 0) {
                return null;
            }
            nanos += probe.toNanos();
            return new Unanswered("Kafka at 127.0.0.1:9", "Timed out waiting for a node assignment");
        };
        return new StartupWait(backends, timeout, () -> nanos, pause -> {
            pauses.add(pause);
            nanos += pause.toNanos();
        }, lines::add);
    }

    @Test
    void retriesWithBackoffFromHalfASecondDoublingToFiveUntilTheBackendsAnswer() throws InterruptedException {
        StartupWait wait = wait(Duration.ofSeconds(60), Duration.ofSeconds(40));

        wait.await();

        assertThat(pauses).startsWith(Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
            Duration.ofSeconds(4), Duration.ofSeconds(5), Duration.ofSeconds(5));
        assertThat(probes).allMatch(probe -> probe.equals(Duration.ofSeconds(5)));
        assertThat(wait.waitingFor()).isNull();
        // One line per retry at most every 5 s: each probe here takes 5 s, so every retry is logged.
        assertThat(lines).hasSize(probes.size() - 1).first().asString()
            .isEqualTo("waiting for Kafka at 127.0.0.1:9 (5 s of startupTimeout 60 s): Timed out waiting for a node "
                + "assignment");
    }

    @Test
    void givesUpAfterTheTimeoutWithOneLineNamingWhatDidNotAnswer() {
        StartupWait wait = wait(Duration.ofSeconds(3), Duration.ofDays(1));

        assertThatThrownBy(wait::await).isInstanceOf(Unreachable.class)
            .hasMessage("cannot reach Kafka at 127.0.0.1:9 within 3 s: Timed out waiting for a node assignment");
        // The probes never wait past the timeout by more than the shortest probe.
        assertThat(probes.get(0)).isEqualTo(Duration.ofSeconds(3));
        assertThat(Duration.ofNanos(nanos)).isLessThanOrEqualTo(Duration.ofSeconds(3).plus(StartupWait.SHORTEST_PROBE));
        assertThat(lines).isEmpty();
    }

    @Test
    void logsAtMostOneLineEveryFiveSecondsWhenProbesFailFast() throws InterruptedException {
        List<String> logged = new ArrayList<>();
        long[] clock = {0};
        StartupWait wait = new StartupWait(probe -> clock[0] < Duration.ofSeconds(20).toNanos()
            ? new Unanswered("MongoDB at [127.0.0.1:1]", "Connection refused") : null, Duration.ofSeconds(60),
            () -> clock[0], pause -> clock[0] += pause.toNanos(), logged::add);

        wait.await();

        // Pauses 0.5, 1, 2, 4, 5, 5, 5 s: retries at 0, 0.5, 1.5, 3.5, 7.5, 12.5, 17.5 s; logged at 0, 7.5 and 12.5 s
        // (and 17.5 s), never twice within 5 s.
        assertThat(logged).hasSize(4);
        assertThat(logged.get(1)).startsWith("waiting for MongoDB at [127.0.0.1:1] (7 s of startupTimeout 60 s)");
    }
}
