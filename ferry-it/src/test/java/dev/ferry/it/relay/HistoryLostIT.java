package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.bson.Document;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.HistoryLostPolicy;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;

/**
 * The checkpoint has left the oplog window (MongoDB error 286): FAIL stops with an actionable message and
 * publishes nothing more; RESTART_FROM_NOW records the gap durably and carries on.
 */
@Timeout(300)
class HistoryLostIT extends PipelineFixture {

    private static final int OPLOG_CAPACITY = 300;


    @Override
    protected int oplogCapacity() {
        return OPLOG_CAPACITY;
    }

    @BeforeEach
    void onlyOnTheEmbeddedServer() {
        // Pushing a real replica set's oplog window past a checkpoint would take hours of writes.
        Assumptions.assumeTrue(mongo.isEmbedded(), "needs the embedded server's small oplog to lose history");
    }

    @Test
    void failPolicyStopsLoudlyAndPublishesNothingMore() {
        ChangeStreamRelay before = pipeline.startRelay("before");
        appendAndAwaitCheckpoint(before);

        ChangeStreamRelay after = pipeline.startRelay("after");
        await().atMost(Duration.ofSeconds(30)).until(() -> after.status().role() == RelayStatus.Role.FAILED);

        assertThat(after.status().failure()).contains("history lost").contains("RESTART_FROM_NOW")
            .contains("enlarge the oplog window");
        assertThat(pipeline.recordCount()).isEqualTo(50);
        System.out.println("HistoryLostIT FAIL: " + after.status().failure());
    }

    @Test
    void restartFromNowRecordsTheGapAndCarriesOn() {
        pipeline.withSettings(pipeline.settings().withHistoryLostPolicy(HistoryLostPolicy.RESTART_FROM_NOW));
        ChangeStreamRelay before = pipeline.startRelay("before");
        appendAndAwaitCheckpoint(before);

        ChangeStreamRelay after = pipeline.startRelay("after");
        await().atMost(Duration.ofSeconds(30))
            .until(() -> pipeline.database().getCollection(Pipeline.GAPS).countDocuments() == 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> after.status().role() == RelayStatus.Role.LEADER);
        for (int i = 0; i < 10; i++) {
            pipeline.store().append("patient", "after-gap-" + i, 0, List.of(new NewEvent("PatientRegistered", "{}")));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.recordCount() == 60);

        Document gap = pipeline.database().getCollection(Pipeline.GAPS).find().first();
        System.out.println("HistoryLostIT RESTART_FROM_NOW gap: " + gap.toJson());
        assertThat(gap.getString("relay")).isEqualTo(pipeline.settings().name());
        assertThat(gap.getDate("from")).isNotNull();
        assertThat(gap.getDate("to")).isAfterOrEqualTo(gap.getDate("from"));
        assertThat(gap.getString("reason")).contains("286");
    }

    /** 50 events relayed and checkpointed, the relay stopped, then enough writes to push them out of the oplog. */
    private void appendAndAwaitCheckpoint(ChangeStreamRelay relay) {
        for (int i = 0; i < 50; i++) {
            pipeline.store().append("patient", "p-" + i, 0, List.of(new NewEvent("PatientRegistered", "{}")));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> relay.status().checkpointSequence() == 50);
        relay.close();
        for (int i = 0; i < OPLOG_CAPACITY + 50; i++) {
            pipeline.database().getCollection("unrelated").insertOne(new Document("i", i));
        }
    }
}
