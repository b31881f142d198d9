package dev.ferry.engine;

/** Whether the instance still works, and whether it was killed (then nothing more is written or acknowledged). */
final class Lifecycle {

    private volatile boolean running = true;
    private volatile boolean killed;

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
    }

    void kill() {
        killed = true;
        running = false;
    }
}
