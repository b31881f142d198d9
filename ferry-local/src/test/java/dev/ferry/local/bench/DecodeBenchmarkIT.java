package dev.ferry.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.local.LocalFerryCommand;

/**
 * {@code ferry bench decode --json} at a tiny size, so that the benchmark program cannot rot: it writes commits through
 * the event store to an embedded MongoDB, decodes them as the relay does and prints the documented figures, every commit
 * valid. No figure is judged here (a benchmark measures; a test does not time).
 */
@Timeout(120)
class DecodeBenchmarkIT {

    @Test
    void theRelaysDecodingOfStoredCommitsIsTimedAndPrintedAsTheDocumentedJson() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "bench", "decode",
            "--commits", "200", "--warm-up-rounds", "1", "--rounds", "3", "--json");
        assertThat(status).as("exit status; stderr: %s", err).isZero();
        String json = out.toString().lines().filter(line -> line.startsWith("{")).findFirst().orElseThrow();
        JsonNode report = new ObjectMapper().readTree(json);

        assertThat(report.get("benchmark").asText()).isEqualTo("decode");
        assertThat(report.get("commits").asInt()).isEqualTo(200);
        assertThat(report.get("payloadBytes").asInt()).isEqualTo(300);
        assertThat(report.get("rounds")).hasSize(3);
        assertThat(report.get("nanosPerCommit").asDouble()).isPositive();
        assertThat(report.get("nanosPerCommitMax").asDouble())
            .isGreaterThanOrEqualTo(report.get("nanosPerCommitMin").asDouble());
        assertThat(report.get("refused").asLong()).as("the store's commits are valid").isZero();
        assertThat(err.toString()).contains("ns per commit"); // the table, on stderr beside --json
    }
}
