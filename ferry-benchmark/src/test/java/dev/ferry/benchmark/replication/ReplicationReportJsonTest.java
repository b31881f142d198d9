package dev.ferry.benchmark.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class ReplicationReportJsonTest {

    private static final Map<String, Double> IDLE = Map.of("relay", 0.01);

    @Test
    void everyRowCarriesItsScenarioTransportRatesAgainstTheRawPipelineAndEachProcesssCost() throws Exception {
        ReplicationResult live = new ReplicationResult("kafka", 451, 10, 8_000, IDLE, List.of(
            new ReplicationResult.Run(1000, 100, 90, 80, 5, 6, 1000, 2000, Map.of("relay", 50.0), 0, 0)));
        CatchUpResult catchUp = new CatchUpResult("nats", 451, 20_000, 20_000, IDLE, List.of(
            catchUpRun(800, 400, 1000, 4000), catchUpRun(1000, 600, 4000, 1000)));
        Map<String, Map<String, Double>> idle = new LinkedHashMap<>();
        idle.put("kafka", IDLE);
        idle.put("nats", Map.of("relay", 0.02, "nats-server", 0.001));
        ReplicationBenchmark.Report report = new ReplicationBenchmark.Report(new Machine(2, 8, "cpu", "17"), "1 / 1 / 1",
            "2 / 2 / 2", Duration.ofSeconds(60), idle, List.of(live), List.of(catchUp), 100);

        JsonNode json = new ObjectMapper().readTree(ReplicationBenchmark.toJson(report));

        assertThat(json.get("transports").toString()).isEqualTo("[\"kafka\",\"nats\"]");
        assertThat(json.get("idleCores").get("relay").asDouble()).as("the first transport's, as before").isEqualTo(0.01);
        assertThat(json.get("idleCoresByTransport").get("nats").get("nats-server").asDouble()).isEqualTo(0.001);
        JsonNode liveRow = json.get("scenarios").get(0);
        assertThat(liveRow.get("scenario").asText()).isEqualTo("live");
        assertThat(liveRow.get("transport").asText()).isEqualTo("kafka");
        assertThat(liveRow.get("replicaPerSecond").get("mongodb").get("median").asDouble()).isEqualTo(90);
        assertThat(liveRow.get("replicaPerSecondMin").get("postgresql").asDouble()).isEqualTo(80);
        assertThat(liveRow.get("rawPipelinePerSecond").isNull()).isTrue();
        assertThat(liveRow.get("cpuMicrosPerChange").get("relay").asDouble()).isEqualTo(50);
        assertThat(liveRow.get("idleCores").get("relay").asDouble()).isEqualTo(0.01);

        JsonNode row = json.get("scenarios").get(1);
        assertThat(row.get("scenario").asText()).isEqualTo("catch-up");
        assertThat(row.get("transport").asText()).isEqualTo("nats");
        assertThat(row.get("documentBytes").asInt()).isEqualTo(451);
        assertThat(row.get("runs").asInt()).isEqualTo(2);
        assertThat(row.get("replicaPerSecond").get("mongodb").get("median").asDouble()).isEqualTo(900);
        assertThat(row.get("replicaPerSecondMin").get("mongodb").asDouble()).isEqualTo(800);
        assertThat(row.get("rawPipelinePerSecond").get("mongodb").get("median").asDouble()).isEqualTo(2500);
        assertThat(row.get("rawPipelinePerSecondMin").get("postgresql").asDouble()).isEqualTo(1000);
        // 800/1000 and 1000/4000: the worst run's 0.25, not the medians' 900/2500
        assertThat(row.get("ratioToRawPipeline").get("mongodb").asDouble()).as("the worst run's").isEqualTo(0.25);
        assertThat(row.get("ratioToRawPipeline").get("postgresql").asDouble()).isEqualTo(0.1);
        assertThat(row.get("cpuMicrosPerChange").get("relay").asDouble()).as("the median of 50 and 62.5").isEqualTo(56.3);
        assertThat(row.get("gcCpuMicrosPerChange").get("relay").asDouble()).isEqualTo(5);
        assertThat(row.get("rssMegabytes").get("relay").asDouble()).as("the largest").isEqualTo(333);
        assertThat(row.get("idleCores").get("relay").asDouble()).isEqualTo(0.01);
        assertThat(row.get("perRun")).hasSize(2);

        StringWriter markdown = new StringWriter();
        ReplicationBenchmark.printMarkdown(report, new PrintWriter(markdown));
        assertThat(markdown.toString()).contains("## Catch-up").contains("| nats | 451 B | 20,000 |");
    }

    private static CatchUpResult.Run catchUpRun(double mongodb, double postgresql, double rawMongodb,
                                                double rawPostgresql) {
        return new CatchUpResult.Run(Map.of("mongodb", mongodb, "postgresql", postgresql),
            Map.of("mongodb", rawMongodb, "postgresql", rawPostgresql), 40,
            Map.of("relay", new CatchUpResult.ProcessFigures(mongodb / 16, 5, (long) mongodb / 3)), 0);
    }
}
