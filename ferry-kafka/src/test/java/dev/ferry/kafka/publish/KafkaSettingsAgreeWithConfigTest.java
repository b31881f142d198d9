package dev.ferry.kafka.publish;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.ferry.config.FerryConfig;

/**
 * The configuration module checks Kafka settings without the Kafka client, from its own copy of these rules; here,
 * where both are visible, the copy is held to the client-derived original.
 */
class KafkaSettingsAgreeWithConfigTest {

    @Test
    void theConfigurationChecksTheRulesKafkaSettingsEnforce() {
        assertThat(FerryConfig.Kafka.OWNED_CLIENT_PROPERTIES).isEqualTo(KafkaSettings.OWNED_CLIENT_PROPERTIES);
        assertThat(FerryConfig.Kafka.COMPRESSIONS).isEqualTo(KafkaSettings.COMPRESSIONS);
        assertThat(FerryConfig.Kafka.MAX_LINGER_MS).isEqualTo(KafkaSettings.MAX_LINGER_MS);
        assertThat(FerryConfig.Kafka.DEFAULT_LINGER_MS).isEqualTo(KafkaSettings.DEFAULT_LINGER_MS);
    }
}
