package dev.ferry.core.subscription;

import java.util.Objects;

/**
 * A record of a partition this instance owns, as the transport delivered it.
 *
 * @param partition     where it is stored
 * @param position      its position in the partition (Kafka offset, stream sequence); increases along the partition
 * @param aggregateType the type its topic carries (the topic less the prefix), so that even an undecodable record
 *                      has an aggregate
 * @param key           the record key: the aggregate's id
 * @param value         the record value in Ferry's wire format, or null
 */
public record SubscribedRecord(PartitionId partition, long position, String aggregateType, String key, byte[] value) {

    public SubscribedRecord {
        Objects.requireNonNull(partition, "partition");
        Objects.requireNonNull(aggregateType, "aggregateType");
    }

    /** {@code type/id}: the unit of order, lanes and parking. */
    public String aggregateKey() {
        return aggregateType + "/" + key;
    }
}
