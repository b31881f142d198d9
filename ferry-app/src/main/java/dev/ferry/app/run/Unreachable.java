package dev.ferry.app.run;

/** MongoDB or Kafka did not answer at start-up: one line saying which and why. */
public final class Unreachable extends RuntimeException {

    public Unreachable(String message) {
        super(message, null, false, false);
    }
}
