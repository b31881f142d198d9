package dev.ferry.engine;

import dev.ferry.core.subscription.PartitionId;
import dev.ferry.core.subscription.SubscribedRecord;

/** What waits in an aggregate's lane: a record to project, or an operator's request to carry out in order. */
sealed interface LaneItem {

    record Delivered(SubscribedRecord record, PartitionOffsets offsets) implements LaneItem {

        PartitionId partition() {
            return record.partition();
        }

        /** The record is done (applied, a duplicate, or parked): its partition may be acknowledged past it. */
        void finish() {
            offsets.finish(record.position());
        }

        /** The partition moved to another instance: this record is abandoned and re-delivered there. */
        boolean abandoned() {
            return offsets.isRevoked();
        }
    }

    record Action(Runnable task) implements LaneItem {
    }
}
