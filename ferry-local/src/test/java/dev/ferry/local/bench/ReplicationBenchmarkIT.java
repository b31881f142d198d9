package dev.ferry.local.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.local.LocalFerryCommand;

/**
 * {@code ferry bench replication --json} at a tiny size on both transports, so that the benchmark program cannot rot:
 * for Kafka and then NATS (which needs the nats-server binary) it starts the embedded stack, the embedded PostgreSQL, a
 * relay and a replicator per target as processes of their own and the raw baselines and the raw replication pipeline
 * beside them, runs the live and the catch-up scenario, and prints every figure other tools read for both document
 * sizes. No figure is judged here (a benchmark measures; a test does not time).
 */
@Timeout(600)
class ReplicationBenchmarkIT {

    /**
     * Enough for every process's CPU to show: Linux counts it in 10 ms ticks, and at 300 changes a relay that spends
     * 30 µs on each could end a catch-up without one (CI saw its CPU per change read 0).
     */
    private static final int CATCH_UP_CHANGES = 1_000;

    @TempDir
    Path dir;

    @Test
    void liveAndCatchUpOnKafkaAndNatsReplicateIntoMongoDbAndPostgresBesideTheRawBaselinesAndPrintTheDocumentedJson()
        throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "bench", "replication",
            "--seconds", "1", "--warm-up-seconds", "1", "--repeat", "1", "--writers", "2", "--idle-seconds", "1",
            "--transport", "kafka,nats", "--catch-up-changes", Integer.toString(CATCH_UP_CHANGES), "--logs", dir.resolve("logs").toString(), "--json");
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
        assertThat(report.get("transports").toString()).isEqualTo("[\"kafka\",\"nats\"]");
        for (String process : new String[] {"stack", "relay", "replicator-mongodb-replica", "replicator-postgresql-replica"}) {
            assertThat(report.get("idleCores").get(process).asDouble()).as(process).isNotNegative();
            for (String transport : new String[] {"kafka", "nats"}) {
                assertThat(report.get("idleCoresByTransport").get(transport).get(process).asDouble())
                    .as(transport + " " + process).isNotNegative();
            }
        }
        assertThat(report.get("idleCoresByTransport").get("nats").get("nats-server").asDouble()).isNotNegative();

        List<JsonNode> live = new ArrayList<>();
        List<JsonNode> catchUp = new ArrayList<>();
        for (JsonNode scenario : report.get("scenarios")) {
            (scenario.get("scenario").asText().equals("live") ? live : catchUp).add(scenario);
        }
        assertThat(live).hasSize(4);
        assertThat(catchUp).hasSize(4);
        for (JsonNode scenario : live) {
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
                assertThat(scenario.get("replicaPerSecondMin").get(target).asDouble()).as(target).isPositive();
                assertThat(scenario.get("replicaLastWriteAfterSourceMillis").get(target).has("max")).as(target).isTrue();
            }
            assertThat(scenario.get("postgresqlToRawJdbcWorstRun").asDouble()).isPositive();
            assertThat(scenario.get("perRun")).hasSize(1);
            assertThat(scenario.get("liveLeaderStepDowns").asLong()).isNotNegative();
            assertThat(scenario.get("perRun").get(0).get("liveLeaderStepDowns").asLong()).isNotNegative();
            assertThat(scenario.get("cpuMicrosPerChange").get("relay").asDouble()).isPositive();
            assertThat(scenario.get("idleCores").get("relay").asDouble()).isNotNegative();
            assertThat(scenario.has("rawPipelinePerSecond")).isTrue();
            assertThat(scenario.has("ratioToRawPipeline")).isTrue();
        }
        assertThat(live.stream().map(scenario -> scenario.get("transport").asText()))
            .containsExactly("kafka", "kafka", "nats", "nats");
        assertThat(live.get(0).get("seedKafkaPerSecond").asDouble()).isEqualTo(8_000);
        assertThat(live.get(1).get("seedKafkaPerSecond").asDouble()).isEqualTo(3_000);
        assertThat(live.get(0).get("documentBytes").asInt()).isLessThan(1_000);
        assertThat(live.get(1).get("documentBytes").asInt()).isBetween(10_000, 10_500);

        for (JsonNode scenario : catchUp) {
            String transport = scenario.get("transport").asText();
            assertThat(scenario.get("runs").asInt()).isEqualTo(1);
            assertThat(scenario.get("changes").asInt()).isEqualTo(CATCH_UP_CHANGES);
            for (String target : new String[] {"mongodb", "postgresql"}) {
                assertThat(scenario.get("replicaPerSecond").get(target).get("median").asDouble()).as(target).isPositive();
                assertThat(scenario.get("replicaPerSecondMin").get(target).asDouble()).as(target).isPositive();
                assertThat(scenario.get("rawPipelinePerSecond").get(target).get("median").asDouble()).as(target)
                    .isPositive();
                assertThat(scenario.get("rawPipelinePerSecondMin").get(target).asDouble()).as(target).isPositive();
                assertThat(scenario.get("ratioToRawPipeline").get(target).asDouble()).as(target).isPositive();
            }
            List<String> processes = new ArrayList<>(List.of("relay", "replicator-mongodb-replica",
                "replicator-postgresql-replica", "stack", "postgresql"));
            if (transport.equals("nats")) {
                processes.add("nats-server");
            }
            for (String process : processes) {
                assertThat(scenario.get("cpuMicrosPerChange").get(process).asDouble()).as(process).isNotNegative();
                assertThat(scenario.get("gcCpuMicrosPerChange").get(process).asDouble()).as(process).isNotNegative();
                assertThat(scenario.get("rssMegabytes").get(process).asDouble()).as(process).isPositive();
                assertThat(scenario.get("idleCores").get(process).asDouble()).as(process).isNotNegative();
            }
            assertThat(scenario.get("cpuMicrosPerChange").get("relay").asDouble()).isPositive();
            assertThat(scenario.get("rawPipelineCpuMicrosPerChange").asDouble()).isPositive();
            assertThat(scenario.get("seedPerSecond").asDouble()).isPositive();
            assertThat(scenario.get("liveLeaderStepDowns").asLong()).isNotNegative();
            assertThat(scenario.get("perRun")).hasSize(1);
        }
        assertThat(catchUp.stream().map(scenario -> scenario.get("transport").asText()))
            .containsExactly("kafka", "kafka", "nats", "nats");
        assertThat(catchUp.get(0).get("documentBytes").asInt()).isLessThan(1_000);
        assertThat(catchUp.get(1).get("documentBytes").asInt()).isBetween(10_000, 10_500);
        assertThat(err.toString()).contains("| document |").contains("## Catch-up"); // the Markdown, on stderr beside --json
    }
}
