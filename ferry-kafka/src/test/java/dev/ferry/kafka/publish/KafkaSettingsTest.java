package dev.ferry.kafka.publish;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

import dev.ferry.core.partition.TopicNaming;

/** Compression is a setting of its own, and client properties cannot quietly override what Ferry relies on. */
class KafkaSettingsTest {

    private static KafkaSettings with(String compression, Map<String, Object> properties) {
        return new KafkaSettings("localhost:9092", new TopicNaming("ferry."), 6, (short) 1, "ferry.dead-letter", true, 5,
            compression, properties);
    }

    @Test
    void theProducerCompressesAsConfigured() {
        // Azure Event Hubs accepts only none and gzip: the default must work there.
        assertThat(KafkaSettings.local("localhost:9092").compression()).isEqualTo("none");
        assertThat(new KafkaPublishers(with("gzip", Map.of())).producerConfig())
            .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip")
            .containsEntry(ProducerConfig.ACKS_CONFIG, "all")
            .containsEntry(ProducerConfig.BATCH_SIZE_CONFIG, KafkaPublishers.BATCH_SIZE_BYTES);
    }

    @Test
    void anUnknownCompressionIsRefusedNamingTheChoices() {
        assertThatThrownBy(() -> with("brotli", Map.of()))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessage("compression must be one of [gzip, lz4, none, snappy, zstd], was 'brotli'");
    }

    @Test
    void clientPropertiesCannotOverrideWhatFerrySets() {
        assertThatThrownBy(() -> with("none", Map.of("acks", "1")))
            .hasMessage("client property 'acks' is set by Ferry and cannot be overridden");
        assertThatThrownBy(() -> with("none", Map.of("compression.type", "lz4")))
            .hasMessageContaining("use the compression setting");
        assertThat(with("none", Map.of("security.protocol", "SASL_SSL")).clientProperties())
            .containsEntry("security.protocol", "SASL_SSL");
    }
}
