package dev.ferry.benchmark.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class EntityCopyResultJsonTest {

    private static EntityCopyRate.Run run(double perSecond, double p50, double p99, double max, long stepDowns) {
        return new EntityCopyRate.Run(perSecond, 100_300, new StreamLatency(2_000, 10, 1_990, p50, p99, max),
            new StreamLatency(1_000, 5, 1_000, p50 / 10, p99 / 10, max / 10), stepDowns);
    }

    @Test
    void theCopyRateIsTheRunsMedianAndSpreadAndEachLatencyTheMedianRunAndTheWorst() throws Exception {
        EntityCopyResult result = new EntityCopyResult(100_000, 200, 1_000, true, List.of(run(9_000, 40, 300, 900, 0),
            run(7_000, 60, 500, 1_500, 1), run(8_000, 50, 400, 1_000, 0)), 120);
        JsonNode json = new ObjectMapper().readTree(result.toJson());

        assertThat(json.get("scenario").asText()).isEqualTo("copy");
        assertThat(json.get("kind").asText()).isEqualTo("entities");
        assertThat(json.get("documents").asInt()).isEqualTo(100_000);
        assertThat(json.get("runs").asInt()).isEqualTo(3);
        assertThat(json.get("writesPerSecond").asInt()).isEqualTo(200);
        assertThat(json.get("copyPerSecond").asDouble()).isEqualTo(8_000);
        assertThat(json.get("copyPerSecondMin").asDouble()).isEqualTo(7_000);
        assertThat(json.get("copyPerSecondMax").asDouble()).isEqualTo(9_000);
        assertThat(json.get("streamLatencyMillis").get("p50").get("median").asDouble()).isEqualTo(50);
        assertThat(json.get("streamLatencyMillis").get("p50").get("worst").asDouble()).isEqualTo(60);
        assertThat(json.get("streamLatencyMillis").get("p99").get("median").asDouble()).isEqualTo(400);
        assertThat(json.get("streamLatencyMillis").get("p99").get("worst").asDouble()).isEqualTo(500);
        assertThat(json.get("streamLatencyMillis").get("max").get("worst").asDouble()).isEqualTo(1_500);
        assertThat(json.get("streamLatencyAfterCopyMillis").get("p99").get("median").asDouble()).isEqualTo(40);
        assertThat(json.get("streamLatencyAfterCopyMillis").get("p99").get("worst").asDouble()).isEqualTo(50);
        assertThat(json.get("writesDuringCopy").asLong()).isEqualTo(6_000);
        assertThat(json.get("writesRead").asLong()).isEqualTo(5_970);
        assertThat(json.get("writesPerSecondDuringCopy").asDouble()).isEqualTo(200);
        assertThat(json.get("leaseTtlMillis").asLong()).isEqualTo(1_000);
        assertThat(json.get("leaseTtlDefault").asBoolean()).isTrue();
        assertThat(json.get("liveLeaderStepDowns").asLong()).isEqualTo(1);
        assertThat(json.get("liveLeaderStepDownsPerRun").toString()).isEqualTo("[0,1,0]");
        assertThat(json.get("perRun")).hasSize(3);
        JsonNode second = json.get("perRun").get(1);
        assertThat(second.get("copyPerSecond").asDouble()).isEqualTo(7_000);
        assertThat(second.get("copiedDocuments").asLong()).isEqualTo(100_300);
        assertThat(second.get("streamLatencyMillis").get("p99").asDouble()).isEqualTo(500);
        assertThat(second.get("writesPerSecondDuringCopy").asDouble()).isEqualTo(200);
        assertThat(second.get("writesAfterCopy").asLong()).isEqualTo(1_000);
        assertThat(second.get("streamLatencyAfterCopyMillis").get("max").asDouble()).isEqualTo(150);
        assertThat(json.get("elapsedSeconds").asLong()).isEqualTo(120);

        StringWriter summary = new StringWriter();
        result.printSummary(new PrintWriter(summary, true));
        assertThat(summary.toString()).contains("8,000 documents/s median (7,000–9,000)").contains("p99 400 ms median "
            + "(worst run 500)");
    }

    @Test
    void aRunWithoutAWriteReadHasNoLatenciesRatherThanZero() throws Exception {
        EntityCopyResult result = new EntityCopyResult(1_000, 200, 1_000, true, List.of(new EntityCopyRate.Run(500, 1_000,
            new StreamLatency(0, 0.1, 0, Double.NaN, Double.NaN, Double.NaN),
            new StreamLatency(1_000, 5, 1_000, 10, 20, 30), 0)), 10);
        JsonNode json = new ObjectMapper().readTree(result.toJson());

        assertThat(json.get("streamLatencyMillis").get("p50").get("median").isNull()).isTrue();
        assertThat(json.get("perRun").get(0).get("streamLatencyMillis").get("max").isNull()).isTrue();
    }

    @Test
    void aRecordsProbeNumberIsReadFromItsDocumentOrPayloadAndAStoredDocumentHasNone() {
        byte[] written = ("{\"entity\":\"patients\",\"operation\":\"update\",\"document\":{\"_id\": {\"$oid\": "
            + "\"6650f1a2b3c4d5e6f7a8b9c0\"}, \"ward\": {\"$numberInt\": \"3\"}, \"probe\": {\"$numberLong\": \"4711\"}}}")
            .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] stored = "{\"document\":{\"probe\":{\"$numberLong\":\"0\"}}}".getBytes(java.nio.charset.StandardCharsets.UTF_8);

        assertThat(StreamProbe.probe(written)).hasValue(4711);
        assertThat(StreamProbe.probe(stored)).isEmpty();
        assertThat(StreamProbe.probe(null)).isEmpty();
        assertThat(StreamProbe.probe("{\"payload\":{\"probe\":42}}".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
            .as("an event's payload").hasValue(42);
    }
}
