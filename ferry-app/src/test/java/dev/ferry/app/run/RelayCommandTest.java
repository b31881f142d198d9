package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.app.FerryCommand;

class RelayCommandTest {

    @TempDir
    Path dir;

    @Test
    void severalCommitsSourcesAreRefusedWithOneLineAndExitStatus2BeforeAnyBackendIsContacted() throws IOException {
        Path config = dir.resolve("ferry.yml");
        // Unreachable backends: reaching for them would be exit status 3, not 2.
        Files.writeString(config, """
            mongodb:
              uri: mongodb://127.0.0.1:1
            kafka:
              bootstrapServers: 127.0.0.1:1
            sources:
              - {kind: commits, collection: orders, aggregateTypes: [order]}
              - {kind: commits, collection: patients, aggregateTypes: [patient]}
            """);
        StringWriter err = new StringWriter();

        int exit = FerryCommand.execute(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true), "relay",
            "--config", config.toString());

        assertThat(exit).isEqualTo(2);
        assertThat(err.toString().lines()).containsExactly("ferry: sources: one source per relay until a relay can read "
            + "several; this file has 2 commits sources [orders, patients]: give each relay a file with one of them");
    }
}
