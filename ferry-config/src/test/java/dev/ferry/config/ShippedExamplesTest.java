package dev.ferry.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/** The repository's examples are written in the current shape and load (the legacy shape lives in tests only). */
class ShippedExamplesTest {

    private static final Map<String, String> ENVIRONMENT = Map.of("FERRY_MONGODB_URI", "mongodb://localhost:1",
        "FERRY_KAFKA_BOOTSTRAP_SERVERS", "localhost:2", "FERRY_ADMIN_TOKEN", "t", "MONGODB_URI",
        "mongodb+srv://u:p@cluster0.example.net/", "KAFKA_USERNAME", "u", "KAFKA_PASSWORD", "p",
        "EVENTHUBS_CONNECTION_STRING", "Endpoint=sb://x/;SharedAccessKey=k");

    @TempDir
    Path dir;

    @Test
    void theConfigExamplesNameTheirSourceAndTransport() throws IOException {
        for (String example : new String[] {"local.yml", "atlas-kafka.yml", "atlas-eventhubs.yml"}) {
            Path path = Path.of("..", "config", example);

            assertThat(Files.readString(path)).as(example).contains("sources:").contains("transport: kafka")
                .doesNotContain("eventsCollection");
            assertThat(new ConfigLoader(ENVIRONMENT).load(path).sources().get(0).collection()).as(example)
                .isEqualTo("events");
        }
    }

    @Test
    void theNatsExampleLoadsWithItsNatsSection() throws IOException {
        Path path = Path.of("..", "config", "local-nats.yml");
        Map<String, String> environment = new java.util.HashMap<>(ENVIRONMENT);
        environment.put("FERRY_NATS_SERVERS", "nats://localhost:3");

        FerryConfig config = new ConfigLoader(environment).load(path);

        assertThat(config.transport()).isEqualTo(FerryConfig.Transport.NATS);
        assertThat(config.nats().stream()).isEqualTo("ferry");
        assertThat(config.sources().get(0).collection()).isEqualTo("events");
    }

    @Test
    void theKubernetesConfigMapLoads() throws IOException {
        String manifest = Files.readString(Path.of("..", "deploy", "kubernetes", "ferry.yaml"));
        String configMap = manifest.substring(0, manifest.indexOf("\n---"));
        Path file = dir.resolve("ferry.yml");
        Files.writeString(file, new YAMLMapper().readTree(configMap).at("/data/ferry.yml").asText());

        FerryConfig config = new ConfigLoader(ENVIRONMENT).load(file);

        assertThat(config.sources().get(0).collection()).isEqualTo("events");
        assertThat(config.projector().aggregateTypes()).containsExactly("patient", "practitioner");
    }
}
