package dev.ferry.core.store;

/** An event is larger than the broker accepts; it is refused at append time, not discovered at publish time. */
public final class EventTooLarge extends RuntimeException {

    public EventTooLarge(String eventType, String aggregateId, int bytes, int limit) {
        super("event " + eventType + " of aggregate " + aggregateId + " is " + bytes
            + " bytes as published, over the broker's record limit of " + limit + " bytes");
    }
}
