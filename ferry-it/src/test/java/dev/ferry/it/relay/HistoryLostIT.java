package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.HistoryLostPolicy;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.it.support.Pipeline;

/**
 * The checkpoint has left the oplog window (MongoDB error 286): FAIL stops with an actionable message and
 * publishes nothing more; RESTART_FROM_NOW records the gap durably and carries on.
 */
@Timeout(300)
class HistoryLostIT {

    private static final int OPLOG_CAPACITY = 300;

    private static EmbeddedKafka kafka;
    private MongoUnderTest mongo;
    private Pipeline stack;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        kafka.close();
    }

    @BeforeEach
    void start() {
        mongo = MongoUnderTest.start("ferry_history", OPLOG_CAPACITY);
        // Pushing a real replica set's oplog window past a checkpoint would take hours of writes.
        Assumptions.assumeTrue(mongo.isEmbedded(), "needs the embedded server's small oplog to lose history");
        stack = new Pipeline(mongo, kafka);
    }

    @AfterEach
    void stop() {
        if (stack != null) {
            stack.close();
        }
        mongo.close();
    }

    @Test
    void failPolicyStopsLoudlyAndPublishesNothingMore() {
        ChangeStreamRelay before = stack.startRelay("before");
        appendAndAwaitCheckpoint(before);

        ChangeStreamRelay after = stack.startRelay("after");
        await().atMost(Duration.ofSeconds(30)).until(() -> after.status().role() == RelayStatus.Role.FAILED);

        assertThat(after.status().failure()).contains("history lost").contains("RESTART_FROM_NOW")
            .contains("enlarge the oplog window");
        assertThat(stack.recordCount()).isEqualTo(50);
        System.out.println("HistoryLostIT FAIL: " + after.status().failure());
    }

    @Test
    void restartFromNowRecordsTheGapAndCarriesOn() {
        stack.withSettings(stack.settings().withHistoryLostPolicy(HistoryLostPolicy.RESTART_FROM_NOW));
        ChangeStreamRelay before = stack.startRelay("before");
        appendAndAwaitCheckpoint(before);

        ChangeStreamRelay after = stack.startRelay("after");
        await().atMost(Duration.ofSeconds(30))
            .until(() -> stack.database().getCollection(Pipeline.GAPS).countDocuments() == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> after.status().role() == RelayStatus.Role.LEADER);
        for (int i = 0; i < 10; i++) {
            stack.store().append("patient", "after-gap-" + i, 0, List.of(new NewEvent("PatientRegistered", "{}")));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> stack.recordCount() == 60);

        Document gap = stack.database().getCollection(Pipeline.GAPS).find().first();
        System.out.println("HistoryLostIT RESTART_FROM_NOW gap: " + gap.toJson());
        assertThat(gap.getString("relay")).isEqualTo(stack.settings().name());
        assertThat(gap.getDate("from")).isNotNull();
        assertThat(gap.getDate("to")).isAfterOrEqualTo(gap.getDate("from"));
        assertThat(gap.getString("reason")).contains("286");
    }

    /** 50 events relayed and checkpointed, the relay stopped, then enough writes to push them out of the oplog. */
    private void appendAndAwaitCheckpoint(ChangeStreamRelay relay) {
        for (int i = 0; i < 50; i++) {
            stack.store().append("patient", "p-" + i, 0, List.of(new NewEvent("PatientRegistered", "{}")));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> relay.status().checkpointSequence() == 50);
        relay.close();
        for (int i = 0; i < OPLOG_CAPACITY + 50; i++) {
            stack.database().getCollection("unrelated").insertOne(new Document("i", i));
        }
    }
}
