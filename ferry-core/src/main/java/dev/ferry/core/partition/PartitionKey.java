package dev.ferry.core.partition;

import dev.ferry.core.event.Event;

/**
 * The partition key of an event is its aggregate id: every broker keeps records of one key in one partition
 * in order, which is what per-aggregate order downstream rests on.
 */
public final class PartitionKey {

    private PartitionKey() {
    }

    public static String of(Event event) {
        return event.aggregateId();
    }
}
