package dev.ferry.local.demo;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class DemoReportTest {

    @Test
    void aTransportNotReadToItsEndFailsTheDemoAndSaysWhatWasNotRead() throws Exception {
        DemoReport complete = report(null);
        DemoReport partial = report("the topics were not read to their end within 60 s: t.patient-0 read to offset 5 of 9");

        assertThat(complete.guaranteesHeld()).isTrue();
        assertThat(partial.guaranteesHeld()).isFalse();
        assertThat(partial.toText()).contains("transport read:             FAILED: the topics were not read to their "
            + "end within 60 s: t.patient-0 read to offset 5 of 9").contains("guarantees held:            NO");
        JsonNode json = new ObjectMapper().readTree(partial.toJson());
        assertThat(json.get("guaranteesHeld").asBoolean()).isFalse();
        assertThat(json.get("incompleteRead").asText()).contains("t.patient-0 read to offset 5 of 9");
        assertThat(new ObjectMapper().readTree(complete.toJson()).get("incompleteRead").isNull()).isTrue();
    }

    private static DemoReport report(String incompleteRead) {
        return new DemoReport(100, 100, 105, 100, 0, 0, true, 900, 1200, 50.0, new DemoReport.Latency(5, 50, 500), 3,
            "kafka", 5, incompleteRead);
    }
}
