package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.core.wire.FerryHeaders;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.TopicRecords;

/**
 * Three relay instances, one leader: every stored event reaches its topic exactly once, keyed by aggregate id, in
 * version order per aggregate, and nothing a conflicting append tried to store does.
 */
@Timeout(300)
class RelayDeliveryIT extends PipelineFixture {


    @Test
    void everyStoredEventIsPublishedOnceInOrderAndNoRejectedOne() throws Exception {
        List<ChangeStreamRelay> relays = List.of(pipeline.startRelay("r1"), pipeline.startRelay("r2"), pipeline.startRelay("r3"));
        AppendLoad load = new AppendLoad(pipeline.store(), "patient", 500, 10_000, 4);

        long started = System.nanoTime();
        load.runToEnd();
        long appended = System.nanoTime();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
            .until(() -> pipeline.recordCount() >= 10_000);
        System.out.printf("RelayDeliveryIT: 10,000 events (%d conflicting appends retried) appended in %d ms, all relayed "
            + "%d ms later%n", load.conflicts(), (appended - started) / 1_000_000, (System.nanoTime() - appended) / 1_000_000);

        DeliveryCheck check = pipeline.check();
        System.out.println("RelayDeliveryIT: " + check);
        assertThat(check.storedEvents()).isEqualTo(10_000);
        assertThat(check.lost()).isZero();
        assertThat(check.unknown()).isZero();
        assertThat(check.duplicates()).isZero();
        assertThat(check.orderViolations()).isZero();
        assertThat(check.keyMismatches()).isZero();
        assertThat(load.conflicts()).as("the load must include conflicting appends").isPositive();
        assertThat(relays.stream().filter(r -> r.status().role() == RelayStatus.Role.LEADER)).hasSize(1);
    }

    @Test
    void aMalformedDocumentGoesToTheDeadLetterTopicAndTheRelayCarriesOn() {
        pipeline.startRelay("r1");
        pipeline.store().append("patient", "before", 0, List.of(new NewEvent("PatientRegistered", "{}")));
        pipeline.database().getCollection(Pipeline.EVENTS).insertOne(new Document("aggregateType", "patient")
            .append("firstVersion", "one").append("note", "written by hand, not by Ferry"));
        pipeline.store().append("patient", "after", 0, List.of(new NewEvent("PatientRegistered", "{}")));

        TopicRecords topics = pipeline.topics();
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.recordCount() >= 3);
        List<ConsumerRecord<String, byte[]>> deadLetters = topics.readRaw(pipeline.deadLetterTopic());
        assertThat(deadLetters).hasSize(1);
        assertThat(TopicRecords.header(deadLetters.get(0), FerryHeaders.FERRY_REASON))
            .contains("not a valid commit").contains("aggregateId");
        assertThat(new String(deadLetters.get(0).value(), StandardCharsets.UTF_8))
            .contains("written by hand, not by Ferry");
        DeliveryCheck check = pipeline.check();
        assertThat(check.lost()).isZero();
        assertThat(check.records()).isEqualTo(2);
    }
}
