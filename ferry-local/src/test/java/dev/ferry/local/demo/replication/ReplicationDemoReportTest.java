package dev.ferry.local.demo.replication;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

class ReplicationDemoReportTest {

    @Test
    void theJsonKeepsItsDocumentedNames() throws Exception {
        JsonNode json = new ObjectMapper().readTree(report(replica("mongodb", 0, 0), replica("postgresql", 0, 0)).toJson());

        assertThat(json.fieldNames()).toIterable().contains("changesCaptured", "changesPublished", "changesApplied",
            "duplicatesSkipped", "documentsCompared", "replicasExact", "resurrections", "orderViolations",
            "relayFailoverMillis", "replicatorFailoverMillis", "throughputPerSecond", "latencyMillis");
        assertThat(json.get("latencyMillis").fieldNames()).toIterable().containsExactly("p50", "p99", "p999");
        assertThat(json.get("replicas").fieldNames()).toIterable().containsExactly("mongodb", "postgresql");
        assertThat(json.get("guaranteesHeld").asBoolean()).isTrue();
    }

    @Test
    void anOrderViolationOrARepeatInEitherReplicaBreaksTheGuarantees() {
        assertThat(report(replica("mongodb", 0, 0), replica("postgresql", 1, 0)).guaranteesHeld()).isFalse();
        assertThat(report(replica("mongodb", 0, 1), replica("postgresql", 0, 0)).guaranteesHeld()).isFalse();
    }

    @Test
    void anIncompleteOrUnreadableLogFailsTheDemoAndSaysSo() {
        ReplicationDemoReport.Replica behind = new ReplicationDemoReport.Replica("mongodb", 100, 10, 0, 5, 0, 90, 0, 0,
            0, 0, 3, 6000, List.of("history incomplete after 30 s (3 ids): patient/7: stored …, last seen …"));
        ReplicationDemoReport.Replica unreadable = new ReplicationDemoReport.Replica("mongodb", 100, 10, 0, 5, 0, 90, 0,
            0, 0, 1, 0, 6000, List.of("unreadable: update of 7 whose version this log never saw"));

        ReplicationDemoReport report = report(behind, replica("postgresql", 0, 0));
        assertThat(report.guaranteesHeld()).isFalse();
        assertThat(report.toText()).contains("log FAILED: 3 ids' last writes not read")
            .contains("history incomplete after 30 s").contains("guarantees held:            NO");
        assertThat(report(unreadable, replica("postgresql", 0, 0)).guaranteesHeld()).isFalse();
    }

    @Test
    void fewerChangesPublishedThanCapturedBreaksTheGuarantees() {
        ReplicationDemoReport report = report(replica("mongodb", 0, 0), replica("postgresql", 0, 0));
        ReplicationDemoReport lost = new ReplicationDemoReport(report.changesCaptured(), report.changesCaptured() - 1,
            report.changesApplied(), 0, 10, true, 0, 0, 1, 1, 1, report.latency(), report.replicas(), 0, 1);

        assertThat(lost.guaranteesHeld()).isFalse();
    }

    private static ReplicationDemoReport report(ReplicationDemoReport.Replica mongo, ReplicationDemoReport.Replica postgres) {
        return new ReplicationDemoReport(100, 120, 200, 20, 10, true, 0,
            mongo.orderViolations() + postgres.orderViolations(), 900, 6000, 95.5,
            new ReplicationDemoReport.Latency(5, 50, 500), List.of(mongo, postgres), 0, 12.5);
    }

    private static ReplicationDemoReport.Replica replica(String name, long orderViolations, long repeats) {
        return new ReplicationDemoReport.Replica(name, 100, 10, 0, 5, 0, 90, orderViolations, 0, repeats, 0, 0, 6000,
            List.of());
    }
}
