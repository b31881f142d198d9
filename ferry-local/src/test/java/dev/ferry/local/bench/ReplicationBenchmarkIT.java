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
 * {@code ferry bench replication --json} at a tiny size, so that the benchmark program cannot rot: it starts the
 * embedded stack, the embedded PostgreSQL, a relay and a replicator per target as processes of their own and the raw
 * baselines beside them, and prints every figure other tools read for both document sizes. No figure is judged here
 * (a benchmark measures; a test does not time).
 */
@Timeout(300)
class ReplicationBenchmarkIT {

    @TempDir
    Path dir;

    @Test
    void bothScenariosReplicateIntoMongoDbAndPostgresBesideTheRawBaselinesAndPrintTheDocumentedJson() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "bench", "replication",
            "--seconds", "1", "--warm-up-seconds", "1", "--repeat", "1", "--writers", "2", "--idle-seconds", "1", "--logs",
            dir.resolve("logs").toString(), "--json");
        assertThat(status).as("exit status; stderr: %s", err).isZero();
        String json = out.toString().lines().filter(line -> line.startsWith("{")).findFirst().orElseThrow();
        JsonNode report = new ObjectMapper().readTree(json);

        assertThat(report.get("benchmark").asText()).isEqualTo("replication");
        assertThat(report.get("machine").get("cores").asInt()).isPositive();
        assertThat(report.get("machine").get("memoryGiB").asDouble()).isPositive();
        assertThat(report.get("machine").get("cpuModel").asText()).isNotBlank();
        assertThat(report.get("loadAverageBefore").asText()).isNotBlank();
        assertThat(report.get("elapsedSeconds").asLong()).isNotNegative();
        assertThat(report.get("idleSeconds").asInt()).isEqualTo(1);
        for (String process : new String[] {"stack", "relay", "replicator-mongodb-replica", "replicator-postgresql-replica"}) {
            assertThat(report.get("idleCores").get(process).asDouble()).as(process).isNotNegative();
        }
        JsonNode scenarios = report.get("scenarios");
        assertThat(scenarios).hasSize(2);
        for (JsonNode scenario : scenarios) {
            assertThat(scenario.get("scenario").asText()).isEqualTo("replication");
            assertThat(scenario.get("runs").asInt()).isEqualTo(1);
            assertThat(scenario.get("seconds").asInt()).isEqualTo(1);
            assertThat(scenario.get("writes").get("median").asDouble()).isPositive();
            for (String figure : new String[] {"sourceWritesPerSecond", "rawJdbcUpsertPerSecond", "rawKafkaPerSecond"}) {
                for (String statistic : new String[] {"median", "min", "max"}) {
                    assertThat(scenario.get(figure).get(statistic).asDouble()).as(figure + "." + statistic).isPositive();
                }
            }
            for (String target : new String[] {"mongodb", "postgresql"}) {
                assertThat(scenario.get("replicaPerSecond").get(target).get("median").asDouble()).as(target).isPositive();
                assertThat(scenario.get("replicaLastWriteAfterSourceMillis").get(target).has("max")).as(target).isTrue();
            }
            assertThat(scenario.get("postgresqlToRawJdbcWorstRun").asDouble()).isPositive();
            assertThat(scenario.get("perRun")).hasSize(1);
            assertThat(scenario.get("liveLeaderStepDowns").asLong()).isNotNegative();
            assertThat(scenario.get("perRun").get(0).get("liveLeaderStepDowns").asLong()).isNotNegative();
        }
        assertThat(scenarios.get(0).get("seedKafkaPerSecond").asDouble()).isEqualTo(8_000);
        assertThat(scenarios.get(1).get("seedKafkaPerSecond").asDouble()).isEqualTo(3_000);
        assertThat(scenarios.get(0).get("documentBytes").asInt()).isLessThan(1_000);
        assertThat(scenarios.get(1).get("documentBytes").asInt()).isBetween(10_000, 10_500);
        assertThat(err.toString()).contains("| document |"); // the Markdown table, on stderr beside --json
    }
}
