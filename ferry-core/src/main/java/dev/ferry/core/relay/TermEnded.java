package dev.ferry.core.relay;

/** The term ended because leadership or the instance did: not a failure. */
final class TermEnded extends RuntimeException {

    TermEnded(String message) {
        super(message);
    }
}
