package dev.ferry.core.relay.spi;

/**
 * A record the transport cannot carry because of what it holds, not because of the broker's state: a type that cannot
 * be a topic or subject, a reserved name, a header value the transport forbids, a record over the size limit. The
 * relay dead-letters the change it came from (once) and goes on; retrying would fail the same way forever.
 */
public final class RecordRefused extends RuntimeException {

    private final boolean tooLarge;

    /**
     * @param reason   what cannot be carried and by which rule, naming the field (e.g. "aggregateType 'a.b' …")
     * @param tooLarge whether the record exceeds the transport's size limit (counted as oversized)
     */
    public RecordRefused(String reason, boolean tooLarge) {
        super(reason);
        this.tooLarge = tooLarge;
    }

    public RecordRefused(String reason, boolean tooLarge, Throwable cause) {
        super(reason, cause);
        this.tooLarge = tooLarge;
    }

    public boolean tooLarge() {
        return tooLarge;
    }
}
