package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;

/**
 * The leader is killed abruptly mid-stream (no lease release, producer closed without flushing): a standby takes
 * over, nothing is missing, per-aggregate order holds, and the only duplicates are events the dead leader had
 * published but not yet checkpointed. Also: all relays stopped and restarted resume from the checkpoint.
 */
@Timeout(300)
class RelayFailoverIT extends PipelineFixture {


    @Test
    void aKilledLeaderIsReplacedAndNothingIsLostOrReordered() throws Exception {
        List<ChangeStreamRelay> relays = List.of(pipeline.startRelay("r1"), pipeline.startRelay("r2"), pipeline.startRelay("r3"));
        ChangeStreamRelay leader = awaitLeader(relays);
        AppendLoad load = new AppendLoad(pipeline.store(), "patient", 200, 8_000, 3);
        CompletableFuture<Void> appending = load.start();

        await().atMost(Duration.ofSeconds(60)).until(() -> leader.status().published() >= 2_000);
        long publishedBeforeKill = pipeline.recordCount();
        leader.kill();
        long killedAt = System.nanoTime();
        long epochAtKill = ((Number) pipeline.leaseDocument().get("epoch")).longValue();
        long checkpointAtKill = checkpointSequence().orElse(0L);

        ChangeStreamRelay successor = awaitLeader(relays.stream().filter(r -> r != leader).toList());
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
            .until(() -> successor.status().published() > 0);
        long failoverMillis = (System.nanoTime() - killedAt) / 1_000_000;

        appending.get();
        int stored = pipeline.storedEvents().size();
        await().atMost(Duration.ofSeconds(120)).until(() -> distinctPublished() >= stored);

        List<PublishedRecord> records = pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic());
        long publishedButNotCheckpointed = records.stream()
            .filter(r -> r.epoch() == epochAtKill && r.sequence() > checkpointAtKill).count();
        DeliveryCheck check = pipeline.check();
        System.out.printf("RelayFailoverIT: failover (kill to first event published by the successor) %d ms; "
            + "%d records before the kill; killed leader had %d events published but not checkpointed; %s%n",
            failoverMillis, publishedBeforeKill, publishedButNotCheckpointed, check);

        assertThat(check.lost()).isZero();
        assertThat(check.unknown()).isZero();
        assertThat(check.orderViolations()).isZero();
        assertThat(check.duplicates()).isLessThanOrEqualTo((int) publishedButNotCheckpointed);
        assertThat(failoverMillis).as("failover on a loaded 2-core machine").isLessThan(10_000);
    }

    @Test
    void relaysStoppedAndRestartedResumeFromTheCheckpointWithoutRepublishing() throws Exception {
        ChangeStreamRelay first = pipeline.startRelay("r1");
        ChangeStreamRelay second = pipeline.startRelay("r2");
        new AppendLoad(pipeline.store(), "practitioner", 100, 2_000, 2).runToEnd();
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.recordCount() >= 2_000);
        first.close();
        second.close();
        assertThat(checkpointSequence()).contains(2_000L);

        new AppendLoad(pipeline.store(), "practitioner", 100, 1_000, 2).runToEnd();
        pipeline.startRelay("r3");
        pipeline.startRelay("r4");
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.recordCount() >= 3_000);

        DeliveryCheck check = pipeline.check();
        System.out.println("RelayFailoverIT restart: " + check);
        assertThat(check.lost()).isZero();
        assertThat(check.duplicates()).as("nothing checkpointed is re-published").isZero();
        assertThat(check.records()).isEqualTo(3_000);
        assertThat(check.orderViolations()).isZero();
    }

    private long distinctPublished() {
        return pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
            .map(PublishedRecord::eventId).distinct().count();
    }

    private Optional<Long> checkpointSequence() {
        Document lease = pipeline.leaseDocument();
        if (lease == null || !(lease.get("checkpoint") instanceof Document checkpoint)) {
            return Optional.empty();
        }
        return Optional.of(((Number) checkpoint.get("sequence")).longValue());
    }

    static ChangeStreamRelay awaitLeader(List<ChangeStreamRelay> relays) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(10))
            .until(() -> relays.stream().anyMatch(r -> r.status().role() == RelayStatus.Role.LEADER));
        return relays.stream().filter(r -> r.status().role() == RelayStatus.Role.LEADER).findFirst().orElseThrow();
    }
}
