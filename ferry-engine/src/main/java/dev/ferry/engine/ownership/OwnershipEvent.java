package dev.ferry.engine.ownership;

import dev.ferry.core.subscription.PartitionId;

/**
 * What an instance did with a partition owned through {@link LeasedPartitionOwnership}, for the ownership log: who,
 * which partition, under which lease epoch, which offsets (on NATS, stream sequences), when (this JVM's monotonic
 * clock, and the wall clock for comparing processes of one host). Writes and acknowledgements of two owners of one
 * partition never overlap in time, nor acknowledgements in offsets; tests check exactly that from these.
 *
 * @param from       first offset concerned (delivered, written, acknowledged); 0 where none
 * @param to         last offset concerned; 0 where none
 * @param wallMicros the wall clock, microseconds since the epoch
 */
public record OwnershipEvent(String instance, PartitionId partition, long epoch, Kind kind, long from, long to,
                             long atNanos, long wallMicros) {

    public enum Kind {
        /** The lease was won and the partition's consumer starts after the ack floor ({@code from}). */
        GAINED,
        /** Records {@code from..to} handed to the engine. */
        DELIVERED,
        /** Records {@code from..to} about to be written to the read model, the lease valid right before. */
        WRITTEN,
        /** A write of records {@code from..to} not made because the lease was no longer valid. */
        WRITE_REFUSED,
        /** Everything up to {@code to} acknowledged ({@code from} = the first sequence this acknowledgement covers). */
        ACKNOWLEDGED,
        /** An acknowledgement not sent because the lease was no longer valid. */
        REFUSED,
        /** Given up in an orderly way (balance, close). */
        REVOKED,
        /** The lease ran out or was taken: nothing more is acknowledged. */
        LOST
    }
}
