package dev.ferry.core.partition;

import dev.ferry.core.event.FerryRecord;

/**
 * The partition key of a record is its key: an event's aggregate id, an entity's id: every broker keeps records of one key in one partition
 * in order, which is what per-aggregate order downstream rests on.
 */
public final class PartitionKey {

    private PartitionKey() {
    }

    public static String of(FerryRecord record) {
        return record.key();
    }
}
