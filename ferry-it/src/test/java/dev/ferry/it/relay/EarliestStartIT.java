package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.NewEvent;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;

/**
 * {@code relay.start: earliest} is the copy: with no checkpoint, a relay whose sources are not configured to copy
 * first copies every source anyway, then streams, so stored commits the oplog no longer holds are published too.
 */
@Timeout(120)
class EarliestStartIT extends PipelineFixture {

    private static final int STORED = 600;

    /** Fewer oplog entries than the stored commits: starting at the oplog's start would miss some. */
    @Override
    protected int oplogCapacity() {
        return 300;
    }

    @Test
    void earliestCopiesEverySourceThenStreams() throws Exception {
        new AppendLoad(pipeline.store(), "patient", 100, STORED, 2).runToEnd();
        pipeline.withSettings(pipeline.settings().withInitialPosition(new StartPosition.Earliest()));
        WatchedCollection events = new WatchedCollection(pipeline.database().getName(), Pipeline.EVENTS,
            DocumentReaders.commits());
        MongoSourceCopy copy = new MongoSourceCopy(pipeline.client(), List.of(CopiedCollection.commits("events", events)),
            List.of()); // initialLoad: none
        ChangeStreamRelay relay = pipeline.startRelay("r1", MongoChangeSource.of(pipeline.client(), List.of(events),
            ChangeStreamTail.Settings.DEFAULT), copy);

        await().atMost(Duration.ofSeconds(60)).until(() -> relay.status().published() >= STORED);
        pipeline.store().append("patient", "streamed", 0, List.of(new NewEvent("PatientRegistered", "{}")));
        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.topics()
            .read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
            .map(PublishedRecord::eventId).distinct().count() == STORED + 1);

        DeliveryCheck delivery = pipeline.check();
        assertThat(delivery.lost()).isZero();
        assertThat(delivery.orderViolations()).isZero();
        assertThat(pipeline.checkpoints().load(pipeline.settings().name()).orElseThrow().copies().get("events").complete())
            .isTrue();
    }
}
