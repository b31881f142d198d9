package dev.ferry.core.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Partition numbers computed by Kafka 4.4's client ({@code Utils.toPositive(Utils.murmur2(key)) % n}). */
class KeyPartitionerTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "p-1|4|6", "p-2|4|5", "patient-42|3|0", "a|4|5", "ab|2|0", "abc|3|4", "abcd|8|5", "abcde|1|4",
        "''|9|2", "ünïcødé-€|3|1", "00000000-0000-0000-0000-000000000000|9|3", "p-999|8|2"})
    void aKeyLandsInThePartitionKafkasDefaultPartitionerChooses(String key, int ofTwelve, int ofSeven) {
        assertThat(KeyPartitioner.partitionOf(key, 12)).isEqualTo(ofTwelve);
        assertThat(KeyPartitioner.partitionOf(key, 7)).isEqualTo(ofSeven);
    }

    @Test
    void aPartitionCountBelowOneIsRefused() {
        assertThatThrownBy(() -> KeyPartitioner.partitionOf("p-1", 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
