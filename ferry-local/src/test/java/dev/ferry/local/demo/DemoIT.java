package dev.ferry.local.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.local.LocalFerryCommand;

/**
 * The demo, small: both failovers happen, every guarantee holds, and {@code --json} prints the documented report.
 */
@Timeout(300)
class DemoIT {

    @Test
    void theDemoKillsTheLeaderAndAProjectorAndEveryGuaranteeHolds() throws Exception {
        ByteArrayOutputStream progress = new ByteArrayOutputStream();
        DemoReport report = new DemoRun(new DemoRun.Options(4_000, 400, 300, 100),
            new PrintStream(progress, true, StandardCharsets.UTF_8)).run();
        System.out.println(report.toText());

        assertThat(report.incompleteRead()).as("the topics read to their end").isNull();
        assertThat(report.eventsAppended()).isEqualTo(4_000);
        assertThat(report.eventsPublished()).isEqualTo(4_000);
        assertThat(report.eventsApplied()).isEqualTo(4_000);
        assertThat(report.duplicatesApplied()).isZero();
        assertThat(report.orderViolations()).isZero();
        assertThat(report.readModelExact()).isTrue();
        assertThat(report.relayFailoverMillis()).isPositive();
        assertThat(report.projectorFailoverMillis()).isPositive();
        assertThat(report.guaranteesHeld()).isTrue();

        JsonNode json = new ObjectMapper().readTree(report.toJson());
        for (String field : new String[] {"eventsAppended", "eventsPublished", "eventsApplied", "duplicatesApplied",
            "orderViolations", "readModelExact", "relayFailoverMillis", "projectorFailoverMillis", "throughputPerSecond"}) {
            assertThat(json.has(field)).as(field).isTrue();
        }
        assertThat(json.get("latencyMillis").has("p50")).isTrue();
        assertThat(json.get("latencyMillis").has("p99")).isTrue();
        assertThat(json.get("latencyMillis").has("p999")).isTrue();
        assertThat(json.get("readModelExact").asBoolean()).isTrue();
        assertThat(json.get("transport").asText()).isEqualTo("kafka");
        assertThat(json.get("streamDuplicates").asLong()).isEqualTo(report.topicRecords() - report.eventsPublished());
    }

    /**
     * {@code ferry demo --exactly-once --json}: the same kills, the relay in Kafka's exactly-once mode; a
     * {@code read_committed} reader of the topics finds every event once (issue 35).
     */
    @Test
    void inExactlyOnceModeTheTopicsHoldEveryEventOnceThroughTheLeaderKill() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "demo",
            "--exactly-once", "--json", "--events", "3000", "--rate", "400", "--aggregates", "300", "--payload-bytes",
            "100");
        System.out.println(out);

        assertThat(exit).as("exit status; stderr: " + err).isZero();
        JsonNode json = new ObjectMapper().readTree(out.toString().lines().filter(l -> l.startsWith("{"))
            .reduce((first, second) -> second).orElseThrow());
        assertThat(json.get("incompleteRead").isNull()).as("the topics read to their end").isTrue();
        assertThat(json.get("eventsPublished").asLong()).isEqualTo(3_000);
        assertThat(json.get("eventsApplied").asLong()).isEqualTo(3_000);
        assertThat(json.get("relayFailoverMillis").asLong()).isPositive();
        assertThat(json.get("streamDuplicates").asLong()).as("duplicates a read_committed reader sees").isZero();
        assertThat(json.get("topicRecords").asLong()).isEqualTo(3_000);
    }
}
