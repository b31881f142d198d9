package dev.ferry.benchmark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class TransportInResultsJsonTest {

    private static final ProcessCost COST = new ProcessCost(10, 1, 100, 0, 50);

    @Test
    void aNatsCatchUpCarriesTheRawJetStreamBaselineAndTheNatsServersCost() throws Exception {
        JsonNode json = parse(new CatchUpResult("nats", 300, 1000, List.of(run(800, 1000, "nats"), run(1000, 4000, "nats")),
            Double.NaN).toJson());

        assertThat(json.get("transport").asText()).isEqualTo("nats");
        assertThat(json.get("ferryPerSecond").asDouble()).isEqualTo(900);
        assertThat(json.get("rawJetStreamPerSecond").asDouble()).isEqualTo(2500);
        assertThat(json.get("rawJetStreamPerSecondMin").asDouble()).isEqualTo(1000);
        assertThat(json.get("rawJetStreamPublishPerSecond").asDouble()).isEqualTo(3000);
        assertThat(json.get("rawJetStreamConsumePerSecond").asDouble()).isEqualTo(4000);
        // 800/1000 and 1000/4000: the worst run's 0.25, not the medians' 900/2500
        assertThat(json.get("ratioToRawJetStream").asDouble()).as("the worst run's").isEqualTo(0.25);
        assertThat(json.get("slowestBaseline").asText()).as("JetStream, not Kafka, is on Ferry's path")
            .isEqualTo("raw JetStream publish->consume");
        assertThat(json.get("cpuMicrosPerEvent").get("nats-server").asDouble()).isEqualTo(10);
        assertThat(json.get("processes").has("nats-server")).isTrue();
    }

    @Test
    void aKafkaCatchUpNamesItsTransportAndHasNoJetStreamFigures() throws Exception {
        JsonNode json = parse(new CatchUpResult("kafka", 300, 1000, List.of(run(800, 0, "kafka")), Double.NaN).toJson());

        assertThat(json.get("transport").asText()).isEqualTo("kafka");
        assertThat(json.has("rawJetStreamPerSecond")).isFalse();
        assertThat(json.get("cpuMicrosPerEvent").has("nats-server")).isFalse();
        assertThat(json.get("rawPipelinePerSecond").asDouble()).isEqualTo(5000);
    }

    @Test
    void aNatsLatencyRunCarriesTheRawJetStreamLatencyAndAKafkaOneDoesNot() throws Exception {
        double[] millis = {1, 2, 3};
        JsonNode nats = parse(new LatencyResult("nats", 100, List.of(new LatencyResult.Run(100, 100, millis, millis,
            millis, new double[] {4, 5, 6}, "", 0))).toJson());
        JsonNode kafka = parse(new LatencyResult("kafka", 100, List.of(new LatencyResult.Run(100, 100, millis, millis,
            millis, null, "", 0))).toJson());

        assertThat(nats.get("transport").asText()).isEqualTo("nats");
        assertThat(nats.get("rawJetStreamLatencyMillis").get("p99").asDouble()).isEqualTo(5);
        assertThat(kafka.get("transport").asText()).isEqualTo("kafka");
        assertThat(kafka.has("rawJetStreamLatencyMillis")).isFalse();
    }

    private static CatchUpResult.Run run(double ferry, double jetStream, String transport) {
        Map<String, Double> raw = new LinkedHashMap<>(Map.of("change-stream", 6000.0, "kafka", 7000.0, "bulk-write",
            8000.0, "pipeline", 5000.0));
        Map<String, ProcessCost> cost = new LinkedHashMap<>(Map.of("relay", COST, "projector", COST, "stack", COST));
        if (transport.equals("nats")) {
            raw.putAll(Map.of("jetstream", jetStream, "jetstream-publish", 3000.0, "jetstream-consume", 4000.0));
            cost.put(CatchUpResult.NATS_SERVER, COST);
        }
        return new CatchUpResult.Run(ferry, raw, cost, 20, 0.25, 0);
    }

    private static JsonNode parse(String json) throws Exception {
        return new ObjectMapper().readTree(json);
    }
}
