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
            millis, new double[] {4, 5, 6}, stages(true), 0))).toJson());
        JsonNode kafka = parse(new LatencyResult("kafka", 100, List.of(new LatencyResult.Run(100, 100, millis, millis,
            millis, null, stages(false), 0))).toJson());

        assertThat(nats.get("transport").asText()).isEqualTo("nats");
        assertThat(nats.get("rawJetStreamLatencyMillis").get("p99").asDouble()).isEqualTo(5);
        assertThat(kafka.get("transport").asText()).isEqualTo("kafka");
        assertThat(kafka.has("rawJetStreamLatencyMillis")).isFalse();
    }

    @Test
    void eachTransportsLatencyRunBreaksItsTimeDownAtTheTimesItsRecordsCarry() throws Exception {
        double[] millis = {1, 2, 3};
        JsonNode nats = parse(new LatencyResult("nats", 100, List.of(new LatencyResult.Run(100, 100, millis, millis,
            millis, millis, stages(true), 0))).toJson());
        JsonNode kafka = parse(new LatencyResult("kafka", 100, List.of(new LatencyResult.Run(100, 100, millis, millis,
            millis, null, stages(false), 0))).toJson());

        assertThat(nats.get("stageLatencyMillis").fieldNames()).toIterable()
            .containsExactly("appendToStored", "storedToReadable", "appendToReadable");
        assertThat(nats.get("stageLatencyMillis").get("appendToStored").get("p99").asDouble()).isEqualTo(11);
        assertThat(nats.get("stageLatencyMillisWorst").get("appendToReadable").get("p999").asDouble()).isEqualTo(32);
        assertThat(kafka.get("stageLatencyMillis").fieldNames()).toIterable()
            .containsExactly("appendToSent", "sentToReadable", "appendToReadable");
        assertThat(kafka.get("stageLatencyMillis").get("sentToReadable").get("p50").asDouble()).isEqualTo(20);
    }

    @Test
    void aStageNoRecordShowedIsNullNotAFigure() throws Exception {
        double[] millis = {1, 2, 3};
        Map<String, double[]> none = new LinkedHashMap<>();
        none.put("appendToSent", new double[] {Double.NaN, Double.NaN, Double.NaN});
        JsonNode kafka = parse(new LatencyResult("kafka", 100, List.of(new LatencyResult.Run(100, 100, millis, millis,
            millis, null, none, 0))).toJson());

        assertThat(kafka.get("stageLatencyMillis").get("appendToSent").get("p99").isNull()).isTrue();
    }

    @Test
    void aFailoverOnNatsNamesItsTransportAndGivesTheStoreTimeWhereKafkaGivesTheSendTime() throws Exception {
        JsonNode nats = parse(new FailoverResult("nats", List.of(new FailoverResult.Kill(1000, Double.NaN, 1500, 1600),
            new FailoverResult.Kill(1100, Double.NaN, 1700, 1800)), 1000, 500, 2, 3000, 2000, 0).toJson());
        JsonNode kafka = parse(new FailoverResult("kafka", List.of(new FailoverResult.Kill(1000, 1400, Double.NaN, 1600)),
            1000, 500, 2, 3000, 2000, 0).toJson());

        assertThat(nats.get("transport").asText()).isEqualTo("nats");
        assertThat(nats.get("firstSendMillis").isNull()).isTrue();
        assertThat(nats.get("firstStoredMillis").get("max").asDouble()).isEqualTo(1700);
        assertThat(nats.get("maxMillis").asDouble()).isEqualTo(1800);
        assertThat(nats.get("leaseTakenMillis").get("p50").asDouble()).isEqualTo(1000);
        assertThat(nats.get("liveLeaderStepDowns").asLong()).isZero();
        assertThat(kafka.get("transport").asText()).isEqualTo("kafka");
        assertThat(kafka.get("firstSendMillis").get("p50").asDouble()).isEqualTo(1400);
        assertThat(kafka.has("firstStoredMillis")).isFalse();
    }

    @Test
    void theCatchUpGivesTheRawPipelinesWritesPerEvent() throws Exception {
        JsonNode json = parse(new CatchUpResult("kafka", 300, 1000, List.of(run(800, 0, "kafka")), Double.NaN).toJson());

        assertThat(json.get("rawPipelineWritesPerEvent").asDouble()).isEqualTo(0.25);
        assertThat(json.get("liveLeaderStepDowns").asLong()).isZero();
    }

    /** Made-up stage figures: the first stage 10, 11, 12 ms, the next 20, 21, 22, the last 30, 31, 32. */
    private static Map<String, double[]> stages(boolean nats) {
        Map<String, double[]> stages = new LinkedHashMap<>();
        String[] names = StageLatencyProbe.stageNames(nats);
        for (int i = 0; i < names.length; i++) {
            stages.put(names[i], new double[] {10 * (i + 1), 10 * (i + 1) + 1, 10 * (i + 1) + 2});
        }
        return stages;
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
