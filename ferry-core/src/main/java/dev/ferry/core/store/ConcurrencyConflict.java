package dev.ferry.core.store;

/** An append lost the race for its versions: another append stored them first. Nothing was stored. */
public final class ConcurrencyConflict extends RuntimeException {

    private final String aggregateType;
    private final String aggregateId;
    private final long expectedVersion;

    public ConcurrencyConflict(String aggregateType, String aggregateId, long expectedVersion, int eventCount) {
        super("concurrency conflict on " + aggregateType + " " + aggregateId + ": expected version "
            + expectedVersion + ", but versions " + (expectedVersion + 1) + ".." + (expectedVersion + eventCount)
            + " (or earlier ones) were already appended by someone else; reload the aggregate and retry");
        this.aggregateType = aggregateType;
        this.aggregateId = aggregateId;
        this.expectedVersion = expectedVersion;
    }

    public String aggregateType() {
        return aggregateType;
    }

    public String aggregateId() {
        return aggregateId;
    }

    public long expectedVersion() {
        return expectedVersion;
    }
}
