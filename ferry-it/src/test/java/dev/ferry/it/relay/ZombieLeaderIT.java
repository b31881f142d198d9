package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.Pause;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;

/**
 * A leader paused for longer than its lease TTL is deposed; when it wakes up it neither checkpoints nor publishes
 * once it notices, and whatever it still emitted is a duplicate of a stored event, never anything else.
 */
@Timeout(300)
class ZombieLeaderIT extends PipelineFixture {


    @Test
    void aDeposedLeaderThatWakesUpNeitherCheckpointsNorPublishes() throws Exception {
        Pause pause = new Pause();
        ChangeStreamRelay zombie = pipeline.startRelay("zombie", pause::leases, pause::publishers);
        await().atMost(Duration.ofSeconds(30)).until(() -> zombie.status().role() == RelayStatus.Role.LEADER);
        ChangeStreamRelay successor = pipeline.startRelay("successor");
        AppendLoad load = new AppendLoad(pipeline.store(), "patient", 200, 6_000, 3);
        CompletableFuture<Void> appending = load.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> zombie.status().published() >= 1_000);
        long zombieEpoch = zombie.status().epoch();

        pause.pause();
        await().atMost(Duration.ofSeconds(30)).until(() -> successor.status().role() == RelayStatus.Role.LEADER);
        await().atMost(Duration.ofSeconds(30)).until(() -> successor.status().published() > 0);
        pause.resume();

        await().atMost(Duration.ofSeconds(30)).until(() -> zombie.status().role() != RelayStatus.Role.LEADER);
        long zombieRecordsWhenItNoticed = zombieRecords(zombieEpoch);
        await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5))
            .until(() -> zombieRecords(zombieEpoch) == zombieRecordsWhenItNoticed);

        appending.get();
        int stored = pipeline.storedEvents().size();
        await().atMost(Duration.ofSeconds(120)).until(() -> pipeline.topics().read(pipeline.topicPrefix(),
            pipeline.deadLetterTopic()).stream().map(PublishedRecord::eventId).distinct().count() >= stored);

        Document checkpoint = (Document) pipeline.leaseDocument().get("checkpoint");
        DeliveryCheck check = pipeline.check();
        System.out.printf("ZombieLeaderIT: zombie epoch %d published %d records; checkpoint now at epoch %s; %s%n",
            zombieEpoch, zombieRecordsWhenItNoticed, checkpoint.get("epoch"), check);
        assertThat(((Number) checkpoint.get("epoch")).longValue()).isGreaterThan(zombieEpoch);
        assertThat(check.unknown()).as("a zombie emits only events that exist in the store").isZero();
        assertThat(check.lost()).isZero();
        assertThat(check.orderViolations()).isZero();
        assertThat(zombieRecords(zombieEpoch)).isEqualTo(zombieRecordsWhenItNoticed);
    }

    private long zombieRecords(long epoch) {
        List<PublishedRecord> records = pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic());
        return records.stream().filter(r -> r.epoch() == epoch).count();
    }
}
