package dev.ferry.local.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.local.LocalFerryCommand;

/**
 * {@code ferry demo --transport nats --json}, small: the same scenario as on Kafka (the leader relay and a projector
 * killed mid-run) over a nats-server started and stopped by the demo; every guarantee holds, exit status 0, and the
 * JSON carries the Kafka report's fields plus {@code transport} and {@code streamDuplicates}.
 */
@Timeout(300)
class NatsDemoIT {

    @Test
    void theDemoOnNatsKillsTheLeaderAndAProjectorAndEveryGuaranteeHolds() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "demo", "--transport",
            "nats", "--json", "--events", "3000", "--rate", "400", "--aggregates", "300", "--payload-bytes", "100");
        System.out.println(out);

        assertThat(exit).as("exit status; stderr: " + err).isZero();
        JsonNode json = new ObjectMapper().readTree(out.toString().lines().filter(l -> l.startsWith("{"))
            .reduce((first, second) -> second).orElseThrow());
        assertThat(json.get("transport").asText()).isEqualTo("nats");
        assertThat(json.get("eventsAppended").asLong()).isEqualTo(3_000);
        assertThat(json.get("eventsPublished").asLong()).isEqualTo(3_000);
        assertThat(json.get("eventsApplied").asLong()).isEqualTo(3_000);
        assertThat(json.get("duplicatesApplied").asLong()).isZero();
        assertThat(json.get("orderViolations").asLong()).isZero();
        assertThat(json.get("readModelExact").asBoolean()).isTrue();
        assertThat(json.get("relayFailoverMillis").asLong()).isPositive();
        assertThat(json.get("projectorFailoverMillis").asLong()).isPositive();
        assertThat(json.get("guaranteesHeld").asBoolean()).isTrue();
        assertThat(json.has("streamDuplicates")).isTrue();
        assertThat(json.get("topicRecords").asLong() - json.get("eventsPublished").asLong())
            .isEqualTo(json.get("streamDuplicates").asLong());
    }
}
