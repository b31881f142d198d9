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
 * {@code ferry bench pipeline --json} at a tiny size, so that the benchmark program cannot rot: it starts the embedded
 * stack, a relay, a projector and the raw baselines as processes of their own, kills the leader relay once, and prints
 * every figure other tools read; and the same on NATS JetStream ({@code --transport nats}, which needs the nats-server
 * package: a missing one fails with the install step), its failover watched on the JetStream stream. No figure is judged here (a benchmark measures; a test does not
 * time).
 */
@Timeout(300)
class PipelineBenchmarkIT {

    @TempDir
    Path dir;

    @Test
    void theBenchmarkRunsEveryScenarioInTheProductionLayoutAndPrintsTheDocumentedJson() throws Exception {
        JsonNode results = benchPipeline("--events", "500", "--large-events", "100", "--rates", "100", "--seconds", "1",
            "--repeat", "1", "--warm-up-rounds", "0", "--kills", "1", "--backlog", "500", "--idle-seconds", "1");
        assertThat(results).hasSize(5);
        for (JsonNode scenario : results) {
            assertThat(scenario.get("liveLeaderStepDowns").asLong()).as(scenario.get("scenario").asText()).isNotNegative();
        }
        for (int i = 0; i < 2; i++) {
            JsonNode catchUp = results.get(i);
            assertThat(catchUp.get("scenario").asText()).isEqualTo("catch-up");
            assertThat(catchUp.get("runs").asInt()).isEqualTo(1);
            assertThat(catchUp.get("ferryPerSecond").asDouble()).isPositive();
            assertThat(catchUp.get("ferryPerSecondMin").asDouble()).isPositive();
            assertThat(catchUp.get("rawPipelinePerSecond").asDouble()).isPositive();
            assertThat(catchUp.get("ratioToRawPipeline").asDouble()).isPositive();
            assertThat(catchUp.get("baselinePerSecond").asDouble()).isPositive();
            for (String process : new String[] {"relay", "projector", "stack"}) {
                assertThat(catchUp.get("cpuMicrosPerEvent").get(process).asDouble()).as(process).isPositive();
            }
            assertThat(catchUp.get("processes").get("relay").has("allocatedBytesPerEvent")).isTrue();
            assertThat(catchUp.get("rawPipelineWritesPerEvent").asDouble()).as("the raw pipeline folds: at most one "
                + "write per event").isPositive().isLessThanOrEqualTo(1);
        }
        assertThat(results.get(0).get("payloadBytes").asInt()).isEqualTo(300);
        assertThat(results.get(1).get("payloadBytes").asInt()).isEqualTo(10_240);

        JsonNode steady = results.get(2);
        assertThat(steady.get("scenario").asText()).isEqualTo("steady-state latency");
        assertThat(steady.get("rate").asInt()).isEqualTo(100);
        assertThat(steady.get("achievedPerSecond").asDouble()).isPositive();
        assertThat(steady.get("latencyMillis").get("p99").asDouble()).isPositive();
        assertThat(steady.get("latencyMillisWorst").has("p99")).isTrue();
        assertThat(steady.get("rawKafkaLatencyMillis").get("p99").asDouble()).isPositive();
        assertThat(steady.get("rawChangeStreamLatencyMillis").get("p99").asDouble()).isPositive();
        for (String stage : new String[] {"appendToSent", "sentToReadable", "appendToReadable"}) {
            assertThat(steady.get("stageLatencyMillis").get(stage).get("p99").isNumber()).as(stage).isTrue();
        }

        JsonNode failover = results.get(3);
        assertThat(failover.get("scenario").asText()).isEqualTo("failover");
        assertThat(failover.get("transport").asText()).isEqualTo("kafka");
        assertThat(failover.get("firstSendMillis").get("p50").isNumber()).isTrue();
        assertThat(failover.get("kills").asInt()).isEqualTo(1);
        assertThat(failover.get("p50Millis").asDouble()).isPositive();
        assertThat(failover.get("maxMillis").asDouble()).isGreaterThanOrEqualTo(failover.get("p99Millis").asDouble());
        assertThat(failover.get("successorCatchUpPerSecond").asDouble()).isPositive();

        JsonNode idle = results.get(4);
        assertThat(idle.get("scenario").asText()).isEqualTo("idle");
        assertThat(idle.get("seconds").asInt()).isEqualTo(1);
        assertThat(idle.get("transport").asText()).isEqualTo("kafka");
        for (String process : new String[] {"relay", "projector", "stack"}) {
            assertThat(idle.get("cores").get(process).asDouble()).as(process).isNotNegative();
        }
    }

    @Test
    void onNatsTheCatchUpsStandBesideARawJetStreamBaselineOfTheSameRunAndTheFailoverIsWatchedOnTheStream()
        throws Exception {
        JsonNode results = benchPipeline("--transport", "nats", "--events", "2000", "--large-events", "300", "--rates",
            "200", "--seconds", "2", "--repeat", "1", "--warm-up-rounds", "0", "--kills", "1", "--backlog", "500",
            "--idle-seconds", "0");
        assertThat(results).as("two catch-ups, one latency run and the failover").hasSize(4);
        for (JsonNode scenario : results) {
            assertThat(scenario.get("transport").asText()).as(scenario.get("scenario").asText()).isEqualTo("nats");
            assertThat(scenario.get("liveLeaderStepDowns").asLong()).as(scenario.get("scenario").asText()).isNotNegative();
        }
        for (int i = 0; i < 2; i++) {
            JsonNode catchUp = results.get(i);
            assertThat(catchUp.get("scenario").asText()).isEqualTo("catch-up");
            assertThat(catchUp.get("transport").asText()).isEqualTo("nats");
            assertThat(catchUp.get("ferryPerSecond").asDouble()).isPositive();
            assertThat(catchUp.get("rawJetStreamPerSecond").asDouble()).isPositive();
            assertThat(catchUp.get("rawJetStreamPublishPerSecond").asDouble()).isPositive();
            assertThat(catchUp.get("rawJetStreamConsumePerSecond").asDouble()).isPositive();
            assertThat(catchUp.get("ratioToRawJetStream").asDouble()).isPositive();
            assertThat(catchUp.get("rawStagesPerSecond").get("jetstream").asDouble()).isPositive();
            // the Kafka figures of the same run, beside them
            assertThat(catchUp.get("rawPipelinePerSecond").asDouble()).isPositive();
            assertThat(catchUp.get("rawStagesPerSecond").get("kafka").asDouble()).isPositive();
            for (String process : new String[] {"relay", "projector", "stack"}) {
                assertThat(catchUp.get("cpuMicrosPerEvent").get(process).asDouble()).as(process).isPositive();
            }
            // the broker is a process of its own on NATS (/proc counts in 10 ms ticks: a tiny run may show 0)
            assertThat(catchUp.get("cpuMicrosPerEvent").get("nats-server").asDouble()).isNotNegative();
            assertThat(catchUp.get("processes").has("nats-server")).isTrue();
        }
        assertThat(results.get(0).get("payloadBytes").asInt()).isEqualTo(300);
        assertThat(results.get(1).get("payloadBytes").asInt()).isEqualTo(10_240);

        JsonNode steady = results.get(2);
        assertThat(steady.get("scenario").asText()).isEqualTo("steady-state latency");
        assertThat(steady.get("transport").asText()).isEqualTo("nats");
        assertThat(steady.get("rate").asInt()).isEqualTo(200);
        assertThat(steady.get("achievedPerSecond").asDouble()).isPositive();
        assertThat(steady.get("latencyMillis").get("p99").asDouble()).isPositive();
        assertThat(steady.get("rawKafkaLatencyMillis").get("p99").asDouble()).isPositive();
        assertThat(steady.get("rawJetStreamLatencyMillis").get("p99").asDouble()).isPositive();
        for (String stage : new String[] {"appendToStored", "storedToReadable", "appendToReadable"}) {
            assertThat(steady.get("stageLatencyMillis").get(stage).get("p99").isNumber()).as(stage).isTrue();
        }

        JsonNode failover = results.get(3);
        assertThat(failover.get("scenario").asText()).isEqualTo("failover");
        assertThat(failover.get("kills").asInt()).isEqualTo(1);
        assertThat(failover.get("p50Millis").asDouble()).isPositive();
        assertThat(failover.get("leaseTakenMillis").get("p50").asDouble()).isPositive();
        assertThat(failover.get("firstStoredMillis").get("p50").asDouble()).isPositive();
        assertThat(failover.get("firstSendMillis").isNull()).as("a JetStream message carries no publish time").isTrue();
        assertThat(failover.get("successorCatchUpPerSecond").asDouble()).isPositive();
    }

    /** Runs {@code ferry bench pipeline ... --json} to its end and returns the JSON array it printed. */
    private JsonNode benchPipeline(String... options) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new ArrayList<>(List.of("bench", "pipeline"));
        args.addAll(List.of(options));
        args.addAll(List.of("--logs", dir.resolve("logs").toString(), "--plot", dir.resolve("plot.png").toString(),
            "--json"));
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true),
            args.toArray(String[]::new));
        assertThat(status).as("exit status; stderr: %s", err).isZero();
        String json = out.toString().lines().filter(line -> line.startsWith("[")).findFirst().orElseThrow();
        return new ObjectMapper().readTree(json);
    }
}
