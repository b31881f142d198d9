package dev.ferry.spring.boot.internals;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CheckedSettingsSpringKeyTest {

    @Test
    void aMessagesLeadingKeyIsSpelledAsSpringSpellsItAndAClientPropertysNameAsKafkaDoes() {
        assertThat(CheckedSettings.springKey("bootstrapServers is missing: expected host:port"))
            .isEqualTo("bootstrap-servers is missing: expected host:port");
        assertThat(CheckedSettings.springKey("stallTimeout: expected a duration"))
            .isEqualTo("stall-timeout: expected a duration");
        assertThat(CheckedSettings.springKey("properties.enable.idempotence: set by Ferry"))
            .isEqualTo("properties.enable.idempotence: set by Ferry");
        assertThat(CheckedSettings.springKey("partitions: expected 1..10000"))
            .isEqualTo("partitions: expected 1..10000");
        assertThat(CheckedSettings.springKey("properties.linger.ms: set by Ferry; use kafka.lingerMs, not overridable"))
            .isEqualTo("properties.linger.ms: set by Ferry; use ferry.kafka.linger-ms, not overridable");
    }
}
