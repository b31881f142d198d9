package dev.ferry.spring.boot.internals;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.ferry.config.ConfigError;
import dev.ferry.spring.boot.FerryProperties;

class CheckedSettingsTest {

    private static FerryProperties.Kafka kafka(String servers, Integer partitions, Map<String, String> properties) {
        return new FerryProperties.Kafka(servers, null, partitions, null, null, null, null, null, properties);
    }

    @Test
    void unsetKafkaSettingsTakeTheCliDefaults() {
        var kafka = CheckedSettings.kafka(kafka("localhost:9092", null, null));
        assertThat(kafka.topicPrefix()).isEqualTo("ferry.");
        assertThat(kafka.partitions()).isEqualTo(12);
        assertThat(kafka.replicationFactor()).isEqualTo(3);
        assertThat(kafka.deadLetterTopic()).isEqualTo("ferry.dead-letter");
    }

    @Test
    void aMistakeIsOneLineNamingTheSpringKey() {
        assertThatThrownBy(() -> CheckedSettings.kafka(kafka("localhost:9092", 0, null)))
            .isInstanceOf(ConfigError.class).hasMessageStartingWith("ferry.kafka.partitions: ");
        assertThatThrownBy(() -> CheckedSettings.kafka(kafka(null, null, null)))
            .isInstanceOf(ConfigError.class).hasMessageStartingWith("ferry.kafka.bootstrap-servers is missing");
        assertThatThrownBy(() -> CheckedSettings.kafka(kafka("localhost:9092", null, Map.of("acks", "1"))))
            .isInstanceOf(ConfigError.class).hasMessageContaining("ferry.kafka.properties.acks")
            .hasMessageContaining("not overridable");
        assertThatThrownBy(() -> CheckedSettings.nats(new FerryProperties.Nats("nats://h:4222", null, null, "a.b", null,
            null, null, null, null, null))).isInstanceOf(ConfigError.class)
            .hasMessageStartingWith("ferry.nats.stream: ");
        assertThatThrownBy(() -> CheckedSettings.relay(new FerryProperties.Relay(true, null, "yesterday", null, null,
            null))).isInstanceOf(ConfigError.class).hasMessageStartingWith("ferry.relay.start: ");
    }

    @Test
    void theRelaySettingsAreTheCliRelaySettings() {
        var relay = CheckedSettings.relay(new FerryProperties.Relay(true, "orders", null, null, "2s", null)).settings();
        assertThat(relay.name()).isEqualTo("orders");
        assertThat(relay.leaseTiming().ttl()).isEqualTo(Duration.ofSeconds(2));
    }
}
