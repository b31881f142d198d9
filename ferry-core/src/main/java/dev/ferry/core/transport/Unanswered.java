package dev.ferry.core.transport;

import java.time.Duration;
import java.util.concurrent.ExecutionException;

/**
 * A backend that did not answer.
 *
 * @param backend which, and where: {@code Kafka at host:9092}
 * @param cause   the first line of why
 */
public record Unanswered(String backend, String cause) {

    /** {@code backend} did not answer because of {@code error}: its first line, for one-line start-up errors. */
    public static Unanswered of(String backend, Throwable error) {
        return new Unanswered(backend, firstLine(error));
    }

    /** {@code cannot reach Kafka at host:9092 within 5 s: cause}: one line for an operator. */
    public String line(Duration waited) {
        return "cannot reach " + backend + " within " + spelled(waited) + ": " + cause;
    }

    /** {@code 5 s}, {@code 1500 ms}. */
    public static String spelled(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }

    /** The first line of what went wrong (of the cause, for a future's failure). */
    public static String firstLine(Throwable e) {
        Throwable cause = e.getCause() != null && e instanceof ExecutionException ? e.getCause() : e;
        String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }
}
