package dev.ferry.core.partition;

import static java.nio.charset.StandardCharsets.UTF_8;

/**
 * The partition of a key, computed exactly as Kafka's default partitioner does for a keyed record
 * ({@code toPositive(murmur2(utf8(key))) % partitions}), so that a key has the same partition number on every
 * transport: an operator (or a migration between Kafka and NATS) finds one aggregate in one partition everywhere.
 * Written here because the core depends on no Kafka client; {@code KeyPartitionerTest} pins it to partition numbers
 * Kafka's client computed, and ferry-kafka's {@code KeyPartitionerAgreesWithKafkaTest} compares it with the client.
 */
public final class KeyPartitioner {

    private static final int SEED = 0x9747b28c;
    private static final int M = 0x5bd1e995;
    private static final int R = 24;

    private KeyPartitioner() {
    }

    /** The partition, {@code 0..partitions-1}, of a record with this key. */
    public static int partitionOf(String key, int partitions) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        return (murmur2(key.getBytes(UTF_8)) & 0x7fffffff) % partitions;
    }

    /** Kafka's 32-bit murmur2 ({@code org.apache.kafka.common.utils.Utils.murmur2}), seed 0x9747b28c. */
    static int murmur2(byte[] data) {
        int length = data.length;
        int h = SEED ^ length;
        int blocks = length / 4;
        for (int i = 0; i < blocks; i++) {
            int at = i * 4;
            int k = (data[at] & 0xff) + ((data[at + 1] & 0xff) << 8) + ((data[at + 2] & 0xff) << 16)
                + ((data[at + 3] & 0xff) << 24);
            k *= M;
            k ^= k >>> R;
            k *= M;
            h *= M;
            h ^= k;
        }
        int tail = length & ~3;
        switch (length % 4) {
            case 3:
                h ^= (data[tail + 2] & 0xff) << 16;
                // fall through
            case 2:
                h ^= (data[tail + 1] & 0xff) << 8;
                // fall through
            case 1:
                h ^= data[tail] & 0xff;
                h *= M;
                break;
            default:
                break;
        }
        h ^= h >>> 13;
        h *= M;
        h ^= h >>> 15;
        return h;
    }
}
