package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.app.FerryCommand;

/** {@code ferry relay copy --source NAME -c FILE} parses as written and refuses a source the file does not name. */
class RelayCopyCommandTest {

    @TempDir
    Path dir;

    @Test
    void anUnknownSourceIsRefusedNamingTheConfiguredOnes() throws Exception {
        Path file = dir.resolve("ferry.yml");
        Files.writeString(file, "mongodb:\n  uri: mongodb://127.0.0.1:1\nkafka:\n  bootstrapServers: 127.0.0.1:1\n");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        PrintStream original = System.err;
        int status;
        System.setErr(new PrintStream(stderr, true, StandardCharsets.UTF_8));
        try {
            status = FerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "relay", "copy",
                "--source", "invoices", "-c", file.toString());
        } finally {
            System.setErr(original);
        }

        assertThat(err.toString()).as("picocli's own errors").isEmpty();
        assertThat(stderr.toString(StandardCharsets.UTF_8))
            .isEqualTo("ferry relay copy: no source named 'invoices'; sources: [events]" + System.lineSeparator());
        assertThat(status).isEqualTo(2);
    }
}
