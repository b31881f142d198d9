package dev.ferry.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.local.LocalFerryCommand;

/**
 * {@code ferry bench copy} at a tiny size for both kinds (and commits with a writer), so that the benchmark program
 * cannot rot: each starts an embedded stack and a copying relay as processes of their own and prints the documented
 * JSON line. No figure is
 * judged here (a benchmark measures; a test does not time): rates must be positive and latencies present.
 */
@Timeout(300)
class CopyBenchmarkIT {

    @TempDir
    Path dir;

    @Test
    void aCopyOfCommitsPrintsItsRateAndTheCopyingRelaysStepDowns() throws Exception {
        JsonNode report = run("--events", "1000", "--repeat", "1", "--logs", dir.resolve("commits").toString());

        assertThat(report.has("kind")).as("the commits' JSON is today's").isFalse();
        assertThat(report.has("streamLatencyMillis")).as("no writer unless asked").isFalse();
        assertThat(report.get("scenario").asText()).isEqualTo("copy");
        assertThat(report.get("events").asInt()).isEqualTo(1000);
        assertThat(report.get("runs").asInt()).isEqualTo(1);
        assertThat(report.get("copyPerSecond").asDouble()).isPositive();
        assertThat(report.get("leaseTtlDefault").asBoolean()).isTrue();
        assertThat(report.get("liveLeaderStepDowns").asLong()).isNotNegative();
        assertThat(report.get("liveLeaderStepDownsPerRun")).hasSize(1);
    }

    @Test
    void aCopyOfCommitsWithAWriterAlsoPrintsTheStreamsLatencyWhichWaitsForTheCopy() throws Exception {
        JsonNode report = run("--events", "1000", "--repeat", "1", "--write-during-copy", "--logs",
            dir.resolve("commits-written").toString());

        assertThat(report.get("copyPerSecond").asDouble()).isPositive();
        assertThat(report.get("writesPerSecond").asInt()).isEqualTo(200);
        assertThat(report.get("writesDuringCopy").asLong()).isNotNegative(); // a tiny copy may end before the stream
        assertThat(report.get("streamLatencyAfterCopyMillis").get("p50").get("median").asDouble()).isPositive();
        assertThat(report.get("streamPerRun")).hasSize(1);
        assertThat(report.get("streamPerRun").get(0).get("writesAfterCopy").asLong()).isPositive();
    }

    @Test
    void aCopyOfAnEntityCollectionPrintsItsRateAndTheStreamsLatencyWhileAWriterWritesTheCollection() throws Exception {
        StringWriter err = new StringWriter();
        JsonNode report = run(err, "--kind", "entities", "--documents", "5000", "--repeat", "1", "--logs",
            dir.resolve("entities").toString());

        assertThat(report.get("scenario").asText()).isEqualTo("copy");
        assertThat(report.get("kind").asText()).isEqualTo("entities");
        assertThat(report.get("documents").asInt()).isEqualTo(5000);
        assertThat(report.get("runs").asInt()).isEqualTo(1);
        assertThat(report.get("writesPerSecond").asInt()).isEqualTo(200);
        assertThat(report.get("copyPerSecond").asDouble()).isPositive();
        assertThat(report.get("writesDuringCopy").asLong()).isPositive();
        assertThat(report.get("writesRead").asLong()).isPositive().isLessThanOrEqualTo(report.get("writesDuringCopy")
            .asLong());
        for (String percentile : new String[] {"p50", "p99", "max"}) {
            for (String statistic : new String[] {"median", "worst"}) {
                assertThat(report.get("streamLatencyMillis").get(percentile).get(statistic).isNumber())
                    .as(percentile + "." + statistic).isTrue();
                assertThat(report.get("streamLatencyMillis").get(percentile).get(statistic).asDouble())
                    .as(percentile + "." + statistic).isPositive();
            }
        }
        assertThat(report.get("streamLatencyAfterCopyMillis").get("p50").get("median").asDouble()).isPositive();
        assertThat(report.get("liveLeaderStepDowns").asLong()).isNotNegative();
        JsonNode run = report.get("perRun").get(0);
        assertThat(run.get("copiedDocuments").asLong()).as("the stored documents and the writer's inserts, less those "
            + "the stream carried").isPositive();
        assertThat(run.get("streamLatencyMillis").get("p99").asDouble()).isPositive();
        assertThat(err.toString()).contains("entity copy (by watermarks, alongside the stream)"); // the summary
    }

    private static JsonNode run(String... args) throws Exception {
        return run(new StringWriter(), args);
    }

    private static JsonNode run(StringWriter err, String... args) throws Exception {
        StringWriter out = new StringWriter();
        String[] command = new String[args.length + 2];
        command[0] = "bench";
        command[1] = "copy";
        System.arraycopy(args, 0, command, 2, args.length);
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), command);
        assertThat(status).as("exit status; stderr: %s", err).isZero();
        String json = out.toString().lines().filter(line -> line.startsWith("{")).findFirst().orElseThrow();
        return new ObjectMapper().readTree(json);
    }
}
