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
import dev.ferry.core.projection.Projection;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.HistoryLostPolicy;
import dev.ferry.core.relay.RelayStatus;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;

/**
 * History lost with the RECOPY policy: the relay was down while events were appended and the oplog moved past its
 * checkpoint. Its successor re-publishes the source from the start (a fresh copy, from a newly noted position), then
 * streams: every event is published, none lost, no gap recorded, and the read model is exact, the re-published
 * duplicates absorbed by the version check.
 */
@Timeout(180)
class RecopyIT extends PipelineFixture {

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
    void lostHistoryIsRecopiedSoEveryEventIsPublishedAndTheReadModelIsExact() {
        pipeline.withSettings(pipeline.settings().withHistoryLostPolicy(HistoryLostPolicy.RECOPY));
        WatchedCollection events = new WatchedCollection(pipeline.database().getName(), Pipeline.EVENTS,
            DocumentReaders.commits());
        // Streamed only, until history is lost: nothing is copied first.
        MongoSourceCopy copy = new MongoSourceCopy(pipeline.client(), List.of(CopiedCollection.commits("events", events)),
            List.of());
        MongoChangeSource source = MongoChangeSource.of(pipeline.client(), List.of(events),
            ChangeStreamTail.Settings.DEFAULT);
        Projection projection = TestProjections.counter("recopied_" + System.nanoTime());
        pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT);

        ChangeStreamRelay before = pipeline.startRelay("before", source, copy);
        append(0, 50, 1);
        await().atMost(Duration.ofSeconds(30)).until(() -> before.status().checkpointSequence() == 50);
        before.close();
        // While no relay runs: new versions of the same aggregates and new aggregates, then enough other writes to
        // push all of it out of the oplog.
        append(0, 20, 2);
        append(50, 70, 1);
        for (int i = 0; i < OPLOG_CAPACITY + 50; i++) {
            pipeline.database().getCollection("unrelated").insertOne(new Document("i", i));
        }

        ChangeStreamRelay after = pipeline.startRelay("after", source, copy);
        await().atMost(Duration.ofSeconds(60)).until(() -> after.status().role() == RelayStatus.Role.LEADER
            && pipeline.checkpoints().load(pipeline.settings().name())
                .map(c -> c.copies().containsKey("events") && c.copies().get("events").complete()).orElse(false));
        append(0, 10, 3); // streamed after the recopy

        int stored = pipeline.storedEvents().size();
        assertThat(stored).isEqualTo(50 + 20 + 20 + 10);
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.topics()
            .read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
            .map(PublishedRecord::eventId).distinct().count() == stored);
        DeliveryCheck delivery = pipeline.check();
        System.out.println("RecopyIT: " + delivery);
        assertThat(delivery.lost()).isZero();
        assertThat(delivery.unknown()).isZero();
        assertThat(delivery.orderViolations()).isZero();
        assertThat(delivery.duplicates()).as("the first 50 were published twice").isGreaterThanOrEqualTo(50);
        assertThat(after.status().role()).isEqualTo(RelayStatus.Role.LEADER);
        assertThat(pipeline.database().getCollection(Pipeline.GAPS).countDocuments()).as("no gap").isZero();

        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
            .until(() -> pipeline.checkReadModel(projection).readModelExact());
        ReadModelCheck readModel = pipeline.checkReadModel(projection);
        assertThat(readModel.duplicatesApplied()).isZero();
        assertThat(readModel.orderViolations()).isZero();
    }

    /** Aggregates p-from .. p-(to-1) each get their version {@code version}. */
    private void append(int from, int to, int version) {
        for (int i = from; i < to; i++) {
            pipeline.store().append("patient", "p-" + i, version - 1,
                List.of(new NewEvent("Changed", "{\"n\": " + version + "}")));
        }
    }
}
