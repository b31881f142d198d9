package dev.ferry.engine;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Whether the instance still works, and whether it was killed (then nothing more is written or acknowledged). */
final class Lifecycle {

    private volatile boolean running = true;
    private volatile boolean killed;
    /** Counted down on stop or kill: ends a backoff at once. */
    private final CountDownLatch stopping = new CountDownLatch(1);

    boolean running() {
        return running;
    }

    boolean killed() {
        return killed;
    }

    /** Neither stopping nor killed. */
    boolean active() {
        return running && !killed;
    }

    void stop() {
        running = false;
        stopping.countDown();
    }

    void kill() {
        killed = true;
        running = false;
        stopping.countDown();
    }

    /** Waits {@code pause}, or less if the instance is stopped or killed meanwhile. */
    void pause(Duration pause) {
        try {
            stopping.await(pause.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
