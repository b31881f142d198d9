package dev.ferry.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The engine knows no transport and no database (as Kafka's import-control keeps its layers apart): every
 * technology reaches it through a port of ferry-core. A new transport is an adapter, never a change here.
 */
class EngineImportsTest {

    private static final List<String> FORBIDDEN = List.of("org.apache.kafka", "io.nats", "com.mongodb", "org.bson",
        "java.sql", "javax.sql", "dev.ferry.kafka", "dev.ferry.nats", "dev.ferry.mongodb", "dev.ferry.postgres");

    @Test
    void theEngineImportsNoTransportOrDatabase() throws IOException {
        Path sources = Path.of("src/main/java");
        assertThat(sources).isDirectory();
        try (Stream<Path> files = Files.walk(sources)) {
            List<String> offending = files.filter(file -> file.toString().endsWith(".java"))
                .flatMap(EngineImportsTest::imports)
                .filter(line -> FORBIDDEN.stream().anyMatch(prefix -> line.contains(" " + prefix + ".")))
                .toList();
            assertThat(offending).isEmpty();
        }
    }

    private static Stream<String> imports(Path file) {
        try {
            return Files.readAllLines(file).stream().filter(line -> line.startsWith("import "))
                .map(line -> file.getFileName() + ": " + line);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
