package dev.ferry.local.demo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ferry.local.LocalFerryCommand;

/**
 * {@code ferry demo replication --json}, small: through the kill of the leader relay and of a replicator per replica,
 * both replicas end exact, nothing goes back in time, the exit status is 0, the report has its documented names, and
 * the embedded PostgreSQL is stopped and removed at the end.
 */
@Timeout(300)
class ReplicationDemoIT {

    private static final Path WORK = Path.of("target", "demo-replication");

    @Test
    void theReplicationDemoKillsTheLeaderRelayAndReplicatorsAndBothReplicasEndExact() throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = LocalFerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), "demo", "replication",
            "--changes", "600", "--rate", "300", "--ids", "30", "--work-dir", WORK.toString(), "--json");
        System.out.println(out);

        JsonNode report = new ObjectMapper().readTree(out.toString());
        for (String field : new String[] {"changesCaptured", "changesPublished", "changesApplied", "duplicatesSkipped",
            "documentsCompared", "replicasExact", "resurrections", "orderViolations", "relayFailoverMillis",
            "replicatorFailoverMillis", "throughputPerSecond", "latencyMillis"}) {
            assertThat(report.has(field)).as(field).isTrue();
        }
        for (String percentile : new String[] {"p50", "p99", "p999"}) {
            assertThat(report.get("latencyMillis").has(percentile)).as(percentile).isTrue();
        }
        assertThat(status).as("exit status; report: %s", report).isZero();
        assertThat(report.get("replicasExact").asBoolean()).isTrue();
        assertThat(report.get("changesCaptured").asLong()).isGreaterThanOrEqualTo(600);
        assertThat(report.get("changesPublished").asLong()).isGreaterThanOrEqualTo(report.get("changesCaptured").asLong());
        assertThat(report.get("changesApplied").asLong()).isPositive();
        assertThat(report.get("documentsCompared").asLong()).isPositive();
        assertThat(report.get("orderViolations").asLong()).isZero();
        assertThat(report.get("resurrections").asLong()).isZero();
        assertThat(report.get("relayFailoverMillis").asLong()).isPositive();
        assertThat(report.get("replicatorFailoverMillis").asLong()).isPositive();
        assertThat(report.get("latencyMillis").get("p99").asDouble()).as("latency measured").isPositive();
        for (String replica : new String[] {"mongodb", "postgresql"}) {
            JsonNode detail = report.get("replicas").get(replica);
            assertThat(detail.get("exact").asBoolean()).as(replica).isTrue();
            assertThat(detail.get("historyWrites").asLong()).as(replica).isPositive();
            assertThat(detail.get("repeats").asLong()).as(replica).isZero();
            assertThat(detail.get("unreadable").asLong()).as(replica).isZero();
            assertThat(detail.get("historyBehind").asLong()).as(replica).isZero();
        }
        assertThat(serverDirectories()).as("the demo's PostgreSQL servers left behind").isZero();
    }

    private static long serverDirectories() throws IOException {
        Path servers = WORK.resolve("postgres");
        if (!Files.isDirectory(servers)) {
            return 0;
        }
        try (Stream<Path> entries = Files.list(servers)) {
            return entries.filter(path -> path.getFileName().toString().startsWith("pg-")).count();
        }
    }
}
