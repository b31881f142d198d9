package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;

/**
 * The event store's collection dropped and re-created under a running relay: the server closes the change stream
 * (after an invalidate the relay's insert-only filter does not see); the relay notices, reopens after its last
 * position and relays the re-created collection's commits — it does not stall silently.
 */
@Timeout(180)
class DroppedCollectionIT extends PipelineFixture {

    @Test
    void aRelayWhoseCollectionIsDroppedAndRecreatedGoesOnRelaying() throws Exception {
        ChangeStreamRelay relay = pipeline.startRelay("r1");
        new AppendLoad(pipeline.store(), "patient", 10, 200, 1).runToEnd();
        await().atMost(Duration.ofSeconds(60)).until(() -> relay.status().published() >= 200);

        pipeline.database().getCollection(Pipeline.EVENTS).drop();
        pipeline.store().createIndexes();
        new AppendLoad(pipeline.store(), "practitioner", 10, 100, 1).runToEnd();

        await().atMost(Duration.ofSeconds(60)).until(() -> relay.status().published() >= 300);
        assertThat(pipeline.topics().count(pipeline.topicPrefix())).isGreaterThanOrEqualTo(300);
    }
}
