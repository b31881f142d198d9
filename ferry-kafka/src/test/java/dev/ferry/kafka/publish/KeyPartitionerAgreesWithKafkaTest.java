package dev.ferry.kafka.publish;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;

import dev.ferry.core.partition.KeyPartitioner;

/** The core's copy of Kafka's default partitioner (used by NATS) agrees with Kafka's client, key for key. */
class KeyPartitionerAgreesWithKafkaTest {

    @Test
    void everyKeyGetsKafkasPartition() {
        Random random = new Random(21);
        for (int i = 0; i < 10_000; i++) {
            byte[] raw = new byte[random.nextInt(40)];
            random.nextBytes(raw);
            String key = i % 2 == 0 ? "p-" + i : new String(raw, UTF_8);
            int partitions = 1 + random.nextInt(64);
            assertThat(KeyPartitioner.partitionOf(key, partitions))
                .as("key %s of %d partitions", key, partitions)
                .isEqualTo(Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % partitions);
        }
    }
}
