package dev.ferry.nats.subscription;

import dev.ferry.core.subscription.PartitionId;

/**
 * What an instance did with a partition, for the ownership log: who, which partition, under which lease epoch,
 * which stream sequences, when (this JVM's monotonic clock). Acknowledgements of two epochs of one partition never
 * overlap in sequences or in time; a test checks exactly that from these.
 *
 * @param from first stream sequence concerned (delivered, acknowledged); 0 where none
 * @param to   last stream sequence concerned; 0 where none
 */
public record OwnershipEvent(String instance, PartitionId partition, long epoch, Kind kind, long from, long to,
                             long atNanos) {

    public enum Kind {
        /** The lease was won and the partition's consumer starts after the ack floor ({@code from}). */
        GAINED,
        /** Records {@code from..to} handed to the engine. */
        DELIVERED,
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
