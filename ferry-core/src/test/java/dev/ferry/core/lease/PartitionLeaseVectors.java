package dev.ferry.core.lease;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.function.Executable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The conformance vectors of {@code contracts/partition-leases.json}, for the {@code PartitionLeaseConformanceTest}s of
 * ferry-core, ferry-engine and ferry-nats (each in the package of the classes it checks; this class ships in ferry-core's
 * test-jar). Read from a module's directory, as Maven runs the tests.
 */
public final class PartitionLeaseVectors {

    private static final Path FILE = Path.of("..", "contracts", "partition-leases.json");

    private final JsonNode file;

    private PartitionLeaseVectors(JsonNode file) {
        this.file = file;
    }

    public static PartitionLeaseVectors read() {
        try {
            return new PartitionLeaseVectors(new ObjectMapper().readTree(FILE.toFile()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + FILE.toAbsolutePath(), e);
        }
    }

    /** The vectors of one section; a section that is missing or empty fails, so none is skipped silently. */
    public Stream<JsonNode> section(String name) {
        JsonNode vectors = file.get(name);
        assertThat(vectors).as("section " + name).isNotEmpty();
        return StreamSupport.stream(vectors.spliterator(), false);
    }

    /** The file's top-level entry {@code name} (e.g. {@code timing}). */
    public JsonNode get(String name) {
        return file.get(name);
    }

    /** A vector's test, named by it; a failure names it too, since Maven's report numbers dynamic tests instead. */
    public static DynamicTest named(String name, Executable check) {
        return dynamicTest(name, () -> {
            try {
                check.execute();
            } catch (AssertionError e) {
                throw new AssertionError(name + ": " + e.getMessage(), e);
            }
        });
    }
}
