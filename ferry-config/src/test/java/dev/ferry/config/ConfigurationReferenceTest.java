package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/** docs/configuration-reference.md is what the configuration records generate, and it leaves nothing out. */
class ConfigurationReferenceTest {

    private static final Path COMMITTED = Path.of("..").resolve(ConfigurationReference.FILE);
    private static final Path GENERATED = Path.of("target", "configuration-reference.md");

    /** Each key once: a key every kind of source or target has is listed under each kind. */
    private final Map<String, ConfigurationReference.Setting> settings = new ConfigurationReference().settings()
        .stream().collect(Collectors.toMap(ConfigurationReference.Setting::key, Function.identity(), (a, b) -> a));

    @Test
    void theCommittedReferenceIsTheGeneratedOne() throws IOException {
        String generated = ConfigurationReference.markdown();
        String committed = Files.exists(COMMITTED) ? Files.readString(COMMITTED) : "";
        if (!committed.equals(generated)) {
            Files.createDirectories(GENERATED.getParent());
            Files.writeString(GENERATED, generated);
            fail(ConfigurationReference.FILE + " is not what the configuration records generate (it is in "
                + "ferry-config/" + GENERATED + "); write it again, from the repository's root: "
                + ReferenceMarkdown.regenerate());
        }
    }

    @Test
    void everyKeyHasADescription() {
        List<String> undescribed = new ConfigurationReference().settings().stream()
            .filter(setting -> setting.description() == null || setting.description().isBlank())
            .map(ConfigurationReference.Setting::key).distinct().sorted().toList();

        assertThat(undescribed).as("keys without a @JsonPropertyDescription on their record component").isEmpty();
    }

    @Test
    void everySectionKindAndNestedKeyIsListed() {
        assertThat(settings).containsKeys("mongodb.uri", "sources[].kind", "sources[].stream.regex",
            "sources[].metadata.<name>", "transport", "kafka.properties.<setting>", "nats.ackWait",
            "relay.historyLost", "projector.notifyUrl", "targets[].kind", "targets[].collections.<entity>",
            "targets[].tables.<entity>.columns[].type", "admin.stallTimeout", "startupTimeout");
    }

    @Test
    void defaultsAndRequiredKeysAreTheRecordsOwn() {
        assertThat(settings.get("kafka.partitions").defaultValue()).isEqualTo("`12`");
        assertThat(settings.get("kafka.partitions").type()).isEqualTo("whole number, 1 to 10000");
        assertThat(settings.get("nats.dedupeWindow").defaultValue()).isEqualTo("`2m`");
        assertThat(settings.get("nats.dedupeWindow").type()).isEqualTo("duration");
        assertThat(settings.get("admin.token").defaultValue()).isEqualTo("empty");
        assertThat(settings.get("relay.historyLost").type()).isEqualTo("`fail`, `restart-from-now` or `recopy`");
        assertThat(settings.get("mongodb.uri").defaultValue()).isEqualTo("required");
        assertThat(settings.get("targets[].tables.<entity>.columns[].type").defaultValue()).isEqualTo("required");
        assertThat(settings.get("sources").defaultValue()).isEqualTo("`[{kind: commits, collection: events}]`");
        assertThat(settings.get("transport").defaultValue()).isEqualTo("`kafka`");
    }

    @Test
    void overridableKeysNameTheirVariable() {
        assertThat(settings.get("kafka.bootstrapServers").variable()).isEqualTo("FERRY_KAFKA_BOOTSTRAP_SERVERS");
        assertThat(settings.get("startupTimeout").variable()).isEqualTo("FERRY_STARTUP_TIMEOUT");
        assertThat(settings.get("kafka.properties.<setting>").variable()).isNull();
    }
}
