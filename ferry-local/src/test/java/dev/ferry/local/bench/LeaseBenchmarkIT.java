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
 * {@code ferry bench lease --json} at a tiny size, so that the benchmark program cannot rot: for each operation it
 * starts an embedded stack as a process of its own, renews a lease beside a relay's copy and beside the tombstone
 * purge, and prints every figure the documentation names. No figure is judged here (a benchmark measures; a test does
 * not time).
 */
@Timeout(300)
class LeaseBenchmarkIT {

    @TempDir
    Path dir;

    @Test
    void renewalsAreMeasuredBesideARelaysCopyAndBesideTheTombstonePurgeAndPrintedAsTheDocumentedJson() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "bench", "lease",
            "--documents", "1000", "--baseline-seconds", "1", "--timeout-seconds", "120", "--logs",
            dir.resolve("logs").toString(), "--json");
        assertThat(status).as("exit status; stderr: %s", err).isZero();
        String json = out.toString().lines().filter(line -> line.startsWith("{")).findFirst().orElseThrow();
        JsonNode report = new ObjectMapper().readTree(json);

        assertThat(report.get("benchmark").asText()).isEqualTo("lease");
        assertThat(report.get("renewalIntervalMillis").asInt()).isEqualTo(100);
        JsonNode scenarios = report.get("scenarios");
        assertThat(scenarios).hasSize(2);
        for (JsonNode scenario : scenarios) {
            assertThat(scenario.get("documents").asInt()).isEqualTo(1000);
            assertThat(scenario.get("completed").asBoolean()).as(scenario.toString()).isTrue();
            assertThat(scenario.get("done").asLong()).isEqualTo(1000);
            assertThat(scenario.get("operationSeconds").asDouble()).isPositive();
            assertThat(scenario.get("renewals").asInt()).isNotNegative();
            assertThat(scenario.get("renewalMillis").has("p99")).isTrue();
            assertThat(scenario.get("idleRenewals").asInt()).isPositive();
            assertThat(scenario.get("idleRenewalMillis").get("p50").asDouble()).isPositive();
            assertThat(scenario.get("failedRenewals").asLong()).isZero();
        }
        JsonNode copy = scenarios.get(0);
        assertThat(copy.get("scenario").asText()).isEqualTo("copy");
        assertThat(copy.get("relayLeaseTtlMillis").asLong()).as("the relay's default").isEqualTo(1_000);
        assertThat(copy.get("relayLiveLeaderStepDowns").asLong()).isNotNegative();
        JsonNode purge = scenarios.get(1);
        assertThat(purge.get("scenario").asText()).isEqualTo("purge");
        assertThat(purge.get("relayLiveLeaderStepDowns").isNull()).as("no relay runs beside the purge").isTrue();
        assertThat(err.toString()).contains("lease renewals"); // the summary, on stderr beside --json
    }
}
