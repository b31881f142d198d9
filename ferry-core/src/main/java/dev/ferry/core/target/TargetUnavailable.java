package dev.ferry.core.target;

/**
 * The store a writer writes to (a read model's, a replica's) cannot be reached now — refused, lost or timed-out
 * connections, a server shutting down or electing a primary. Not the record's fault: the engine pauses the partition,
 * waits and tries the record again, spending none of its retries, so an outage parks nothing.
 */
public final class TargetUnavailable extends RuntimeException {

    public TargetUnavailable(String message, Throwable cause) {
        super(message, cause);
    }
}
