package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** A long-running command whose work ended for good exits with status 1, once; work that goes on never exits. */
class EndedWorkWatchTest {

    @Test
    void workThatEndedExitsTheProcessWithStatus1Once() throws Exception {
        AtomicReference<String> ended = new AtomicReference<>();
        AtomicInteger exits = new AtomicInteger();
        CountDownLatch exited = new CountDownLatch(1);
        AtomicInteger status = new AtomicInteger(-1);
        Thread watch = EndedWorkWatch.start(ended::get, "ferry project t", code -> {
            status.set(code);
            exits.incrementAndGet();
            exited.countDown();
        }, Duration.ofMillis(10));

        assertThat(exited.await(200, TimeUnit.MILLISECONDS)).as("exited while the work goes on").isFalse();
        ended.set("stopped: java.lang.IllegalStateException: cannot open (test)");
        assertThat(exited.await(10, TimeUnit.SECONDS)).as("exited once the work ended").isTrue();
        watch.join(10_000);
        assertThat(watch.isAlive()).isFalse();
        assertThat(status.get()).isEqualTo(1);
        assertThat(exits.get()).isEqualTo(1);
    }
}
