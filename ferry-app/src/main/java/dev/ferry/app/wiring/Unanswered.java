package dev.ferry.app.wiring;

import java.time.Duration;

/**
 * A backend that did not answer.
 *
 * @param backend which, and where: {@code Kafka at host:9092}
 * @param cause   the first line of why
 */
public record Unanswered(String backend, String cause) {

    /** {@code cannot reach Kafka at host:9092 within 5 s: cause}: one line for an operator. */
    public String line(Duration waited) {
        return "cannot reach " + backend + " within " + spelled(waited) + ": " + cause;
    }

    /** {@code 5 s}, {@code 1500 ms}. */
    public static String spelled(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
