package dev.ferry.core.relay.spi;

/**
 * The change source no longer retains the changes after the requested position (MongoDB error 286): events
 * between the position and the oldest retained change cannot be read from the stream any more.
 */
public final class HistoryLost extends RuntimeException {

    public HistoryLost(String message, Throwable cause) {
        super(message, cause);
    }
}
