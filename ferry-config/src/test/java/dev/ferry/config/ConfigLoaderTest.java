package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.core.relay.HistoryLostPolicy;
import dev.ferry.config.FerryConfig.Kafka;

class ConfigLoaderTest {

    @TempDir
    Path dir;

    private Path file(String yaml) throws IOException {
        Path file = dir.resolve("ferry.yml");
        Files.writeString(file, yaml);
        return file;
    }

    private static final String MINIMAL = """
        mongodb:
          uri: mongodb://localhost:27017
        kafka:
          bootstrapServers: localhost:9092
        """;

    @Test
    void appliesDefaultsToAMinimalFile() throws IOException {
        FerryConfig config = new ConfigLoader(Map.of()).load(file(MINIMAL));

        assertThat(config.mongodb().database()).isEqualTo("ferry");
        assertThat(config.kafka().topicPrefix()).isEqualTo("ferry.");
        assertThat(config.kafka().deadLetterTopic()).isEqualTo("ferry.dead-letter");
        assertThat(config.kafka().compression()).isEqualTo("none");
        assertThat(config.kafka().lingerMs()).isEqualTo(Kafka.DEFAULT_LINGER_MS);
        assertThat(config.relay().historyLost()).isEqualTo(HistoryLostPolicy.FAIL);
        assertThat(config.admin().port()).isEqualTo(8080);
        assertThat(config.startupTimeoutDuration()).hasSeconds(60);
        assertThat(config.admin().stallTimeoutDuration()).hasSeconds(60);
    }

    @Test
    void environmentOverridesAndReferencesWin() throws IOException {
        FerryConfig config = new ConfigLoader(Map.of("FERRY_KAFKA_PARTITIONS", "24", "FERRY_RELAY_HISTORY_LOST",
            "restart-from-now", "SECRET", "s3cr3t", "FERRY_PROJECTOR_AGGREGATE_TYPES", "patient, practitioner"))
            .load(file(MINIMAL + "admin:\n  token: ${SECRET}\n"));

        assertThat(config.kafka().partitions()).isEqualTo(24);
        assertThat(config.relay().historyLost()).isEqualTo(HistoryLostPolicy.RESTART_FROM_NOW);
        assertThat(config.admin().token()).isEqualTo("s3cr3t");
        assertThat(config.projector().aggregateTypes()).containsExactly("patient", "practitioner");
        assertThat(new ConfigLoader(Map.of("FERRY_RELAY_START", "earliest")).load(file(MINIMAL)).relay().start())
            .isEqualTo("earliest");
        assertThat(new ConfigLoader(Map.of("FERRY_RELAY_HISTORY_LOST", "recopy")).load(file(MINIMAL)).relay()
            .historyLost()).isEqualTo(HistoryLostPolicy.RECOPY);
        assertThat(new ConfigLoader(Map.of("FERRY_KAFKA_LINGER_MS", "2")).load(file(MINIMAL)).kafka().lingerMs())
            .isEqualTo(2);
        assertThat(ConfigLoader.environmentName("kafka", "bootstrapServers")).isEqualTo("FERRY_KAFKA_BOOTSTRAP_SERVERS");
        FerryConfig timeouts = new ConfigLoader(Map.of("FERRY_STARTUP_TIMEOUT", "5m", "FERRY_ADMIN_STALL_TIMEOUT", "90s"))
            .load(file(MINIMAL + "startupTimeout: 10s\n"));
        assertThat(timeouts.startupTimeoutDuration()).hasMinutes(5);
        assertThat(timeouts.admin().stallTimeoutDuration()).hasSeconds(90);
    }

    @Test
    void aRelayWithNothingToPublishCheckpointsEveryFiveSecondsUnlessTold() throws IOException {
        assertThat(new ConfigLoader(Map.of()).load(file(MINIMAL)).relay().idleCheckpointIntervalDuration()).hasSeconds(5);
        assertThat(new ConfigLoader(Map.of("FERRY_RELAY_IDLE_CHECKPOINT_INTERVAL", "30s")).load(file(MINIMAL)).relay()
            .idleCheckpointIntervalDuration()).hasSeconds(30);
        assertThatThrownBy(() -> new ConfigLoader(Map.of()).load(file(MINIMAL + "relay:\n  idleCheckpointInterval: 0s\n")))
            .hasMessageStartingWith("relay.idleCheckpointInterval: expected a positive duration");
    }

    @Test
    void everyMistakeIsOneLineNamingTheSetting() throws IOException {
        ConfigLoader loader = new ConfigLoader(Map.of());

        assertThatThrownBy(() -> loader.load(dir.resolve("missing.yml")))
            .isInstanceOf(ConfigError.class).hasMessageContaining("no such file");
        assertThatThrownBy(() -> loader.load(file("kafka:\n  bootstrapServers: localhost:9092\n")))
            .hasMessage("mongodb.uri is missing: expected a MongoDB connection string (mongodb:// or mongodb+srv://) "
                + "(in the config file or FERRY_MONGODB_URI)");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "  partitons: 3\n")))
            .hasMessageStartingWith("unknown setting 'kafka.partitons'");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "  partitions: many\n")))
            .hasMessage("kafka.partitions: expected a whole number from 1 to 10000, got 'many'");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "  compression: brotli\n")))
            .hasMessage("kafka.compression: expected one of [gzip, lz4, none, snappy, zstd] (Azure Event Hubs: none or "
                + "gzip), got 'brotli'");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "  properties:\n    compression.type: lz4\n")))
            .hasMessage("kafka.properties.compression.type: set by Ferry; use kafka.compression, not overridable");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "  lingerMs: 20\n")))
            .hasMessage("kafka.lingerMs: expected a whole number from 0 to 5, got 20");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "  properties:\n    linger.ms: 20\n")))
            .hasMessage("kafka.properties.linger.ms: set by Ferry; use kafka.lingerMs, not overridable");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "  exactlyOnce: true\n  idempotence: false\n")))
            .hasMessage("kafka.exactlyOnce: needs idempotence: true (Kafka's transactions are built on the idempotent "
                + "producer)");
        assertThatThrownBy(() -> loader.load(file(MINIMAL.replace("localhost:9092",
            "ns.servicebus.windows.net:9093") + "  exactlyOnce: true\n")))
            .hasMessage("kafka.exactlyOnce: Azure Event Hubs (ns.servicebus.windows.net:9093) has no Kafka "
                + "transactions; leave it off there (consumers' version checks absorb duplicates)");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "  properties:\n    acks: \"1\"\n")))
            .hasMessage("kafka.properties.acks: set by Ferry, not overridable");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "relay:\n  historyLost: ignore\n")))
            .hasMessageContaining("relay.historyLost: expected 'fail', 'restart-from-now' or 'recopy'");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "admin:\n  token: ${NOT_SET}\n")))
            .hasMessage("admin.token: refers to environment variable NOT_SET, which is not set");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "startupTimeout: soon\n")))
            .hasMessage("startupTimeout: expected a positive duration such as 500ms, 30s, 2m, 12h or 7d, got 'soon'");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "admin:\n  stallTimeout: 0s\n")))
            .hasMessage("admin.stallTimeout: expected a positive duration such as 500ms, 30s, 2m, 12h or 7d, got '0s'");
        assertThatThrownBy(() -> loader.load(file("mongodb: [unclosed\n")))
            .hasMessageContaining("is not valid YAML");
        assertThatThrownBy(() -> loader.load(file(MINIMAL.replace("mongodb://localhost:27017", "postgres://x"))))
            .hasMessageContaining("mongodb.uri: expected a MongoDB connection string");
        assertThatThrownBy(() -> loader.load(file(MINIMAL + "projector:\n  aggregateTypes: [\"patient record\"]\n")))
            .hasMessageContaining("projector.aggregateTypes: aggregate type 'patient record'");
    }

    @Test
    void theShippedExamplesAreValid() {
        Map<String, String> env = Map.of("FERRY_MONGODB_URI", "mongodb://localhost:1", "FERRY_KAFKA_BOOTSTRAP_SERVERS",
            "localhost:2", "FERRY_ADMIN_TOKEN", "t", "MONGODB_URI", "mongodb+srv://u:p@cluster0.example.net/",
            "KAFKA_USERNAME", "u", "KAFKA_PASSWORD", "p", "EVENTHUBS_CONNECTION_STRING", "Endpoint=sb://x/;SharedAccessKey=k");
        for (String example : new String[] {"local.yml", "atlas-kafka.yml", "atlas-eventhubs.yml"}) {
            Path path = Path.of("..", "config", example);
            assertThat(new ConfigLoader(env).load(path).projector().aggregateTypes()).as(example)
                .containsExactly("patient", "practitioner");
        }
    }
}
