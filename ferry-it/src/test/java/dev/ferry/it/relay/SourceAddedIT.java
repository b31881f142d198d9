package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.LongSummaryStatistics;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.bson.BsonDocument;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.spi.CheckpointStore;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.mongodb.changestream.ChangeStreamTail;
import dev.ferry.mongodb.changestream.DocumentReaders;
import dev.ferry.mongodb.changestream.MongoChangeSource;
import dev.ferry.mongodb.changestream.WatchedCollection;
import dev.ferry.mongodb.copy.CopiedCollection;
import dev.ferry.mongodb.copy.MongoSourceCopy;
import dev.ferry.mongodb.store.CommitDocuments;
import dev.ferry.mongodb.store.MongoEventStore;

/**
 * One collection at a time: a relay streaming two sources is restarted with a third, to be copied first. The third
 * is copied while the two others keep being published (their records arrive between its copied ones), then its own
 * changes since the copy began are caught up and it is streamed with them. The same for an operator's request to
 * copy one streaming source again. Nothing is lost, nothing is out of order per key.
 */
@Timeout(240)
class SourceAddedIT extends PipelineFixture {

    private static final List<String> TYPES = List.of("alpha", "beta", "gamma");
    private static final int STORED_GAMMA = 4_000;

    @Test
    void anAddedSourceIsCopiedWhileTheOthersKeepStreaming() throws Exception {
        Map<String, MongoEventStore> stores = stores();
        ChangeStreamRelay first = pipeline.startRelay("r1", source(List.of("alpha", "beta")), copy(List.of()));
        new AppendLoad(stores.get("alpha"), "alpha", 50, 200, 1).runToEnd();
        new AppendLoad(stores.get("gamma"), "gamma", 200, STORED_GAMMA, 2).runToEnd(); // not watched yet
        await().atMost(Duration.ofSeconds(30)).until(() -> first.status().checkpointSequence() == 200);
        first.close();

        CompletableFuture<Void> others = CompletableFuture.allOf(
            new AppendLoad(stores.get("alpha"), "alpha", 50, 1_500, 1).start(),
            new AppendLoad(stores.get("beta"), "beta", 50, 1_500, 1).start());
        ChangeStreamRelay second = pipeline.startRelay("r2", source(TYPES), copy(List.of("gamma")));
        CompletableFuture<Void> gammaDuring = new AppendLoad(stores.get("gamma"), "gamma", 200, 300, 1).start();
        others.get();
        gammaDuring.get();

        await().atMost(Duration.ofSeconds(90)).until(() -> copyOf("gamma").map(CheckpointStore.CopyProgress::complete)
            .orElse(false));
        List<Event> stored = storedEvents();
        assertThat(stored).hasSize(200 + STORED_GAMMA + 3_000 + 300);
        await().atMost(Duration.ofSeconds(90)).until(() -> records().stream().map(PublishedRecord::eventId).distinct()
            .count() == stored.size());
        List<PublishedRecord> records = records();
        DeliveryCheck delivery = DeliveryCheck.of(stored, records);
        System.out.println("SourceAddedIT added: " + delivery);
        assertThat(delivery.lost()).isZero();
        assertThat(delivery.unknown()).isZero();
        assertThat(delivery.orderViolations()).isZero();
        assertOthersPublishedDuringTheCopy(records, "r2");
        assertThat(second.status().failure()).isNull();
    }

    @Test
    void aRequestedCopyOfOneSourceRunsWhileTheOthersKeepStreaming() throws Exception {
        Map<String, MongoEventStore> stores = stores();
        new AppendLoad(stores.get("gamma"), "gamma", 200, STORED_GAMMA, 2).runToEnd();
        // gamma is copied first (all of it), then streamed with the others
        ChangeStreamRelay relay = pipeline.startRelay("r1", source(TYPES), copy(List.of("gamma")));
        await().atMost(Duration.ofSeconds(60)).until(() -> copyOf("gamma").map(CheckpointStore.CopyProgress::complete)
            .orElse(false) && relay.status().published() >= STORED_GAMMA);
        long publishedBefore = relay.status().published();

        CompletableFuture<Void> others = CompletableFuture.allOf(
            new AppendLoad(stores.get("alpha"), "alpha", 50, 1_500, 1).start(),
            new AppendLoad(stores.get("beta"), "beta", 50, 1_500, 1).start(),
            new AppendLoad(stores.get("gamma"), "gamma", 200, 300, 1).start());
        pipeline.checkpoints().requestCopy(pipeline.settings().name(), "gamma");
        others.get();

        await().atMost(Duration.ofSeconds(30)).until(() -> pipeline.checkpoints()
            .copyRequests(pipeline.settings().name()).isEmpty());
        await().atMost(Duration.ofSeconds(90)).until(() -> copyOf("gamma").map(p -> p.complete() && p.copied() > 0)
            .orElse(false) && relay.status().published() >= publishedBefore + STORED_GAMMA + 3_300);
        List<Event> stored = storedEvents();
        await().atMost(Duration.ofSeconds(90)).until(() -> records().stream().map(PublishedRecord::eventId).distinct()
            .count() == stored.size());
        List<PublishedRecord> records = records();
        DeliveryCheck delivery = DeliveryCheck.of(stored, records);
        System.out.println("SourceAddedIT requested: " + delivery);
        assertThat(delivery.lost()).isZero();
        assertThat(delivery.orderViolations()).isZero();
        // gamma twice (the first copy, and the requested one); the others are not re-published by the copy: within
        // one leadership epoch none of their events is published twice (a failover re-publishes what was not
        // checkpointed, in a later epoch)
        assertThat(records.stream().filter(r -> !r.aggregateType().equals("gamma"))
            .collect(java.util.stream.Collectors.groupingBy(r -> r.epoch() + "/" + r.eventId(),
                java.util.stream.Collectors.counting())).values()).allMatch(count -> count == 1);
        assertThat(records.stream().filter(r -> r.aggregateType().equals("gamma")).count())
            .isGreaterThanOrEqualTo(STORED_GAMMA * 2L + 300);
        // interleaved: after the request, the others' records come between gamma's copied ones
        long requestedAfter = records.stream().filter(r -> r.aggregateType().equals("gamma"))
            .mapToLong(PublishedRecord::sequence).sorted().skip(STORED_GAMMA).findFirst().orElseThrow();
        assertOthersPublishedDuring(records.stream().filter(r -> r.sequence() > requestedAfter).toList());
    }

    private void assertOthersPublishedDuringTheCopy(List<PublishedRecord> records, String instance) {
        assertOthersPublishedDuring(records.stream().filter(r -> r.instance().equals(instance)).toList());
    }

    /** Some alpha or beta record lies between the first and the last gamma record of {@code records}. */
    private static void assertOthersPublishedDuring(List<PublishedRecord> records) {
        LongSummaryStatistics gamma = records.stream().filter(r -> r.aggregateType().equals("gamma"))
            .mapToLong(PublishedRecord::sequence).summaryStatistics();
        long between = records.stream().filter(r -> !r.aggregateType().equals("gamma"))
            .filter(r -> r.sequence() > gamma.getMin() && r.sequence() < gamma.getMax()).count();
        System.out.println("SourceAddedIT: gamma sequences " + gamma.getMin() + ".." + gamma.getMax() + ", others between: "
            + between);
        assertThat(between).as("the others' records published while gamma was copied").isPositive();
    }

    private Map<String, MongoEventStore> stores() {
        Map<String, MongoEventStore> stores = new java.util.HashMap<>();
        for (String type : TYPES) {
            stores.put(type, new MongoEventStore(pipeline.database(), type + "_events",
                pipeline.kafkaSettings().topicNaming(), MongoEventStore.DEFAULT_MAX_EVENT_BYTES).createIndexes());
        }
        return stores;
    }

    private WatchedCollection watched(String type) {
        return new WatchedCollection(type, pipeline.database().getName(), type + "_events", DocumentReaders.commits());
    }

    private MongoChangeSource source(List<String> types) {
        return MongoChangeSource.of(pipeline.client(), types.stream().map(this::watched).toList(),
            ChangeStreamTail.Settings.DEFAULT);
    }

    private MongoSourceCopy copy(List<String> copiedFirst) {
        return new MongoSourceCopy(pipeline.client(), TYPES.stream()
            .map(type -> CopiedCollection.commits(type, watched(type))).toList(), copiedFirst);
    }

    private java.util.Optional<CheckpointStore.CopyProgress> copyOf(String source) {
        return pipeline.checkpoints().load(pipeline.settings().name()).map(c -> c.copies().get(source));
    }

    private List<PublishedRecord> records() {
        return pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic());
    }

    private List<Event> storedEvents() {
        List<Event> events = new ArrayList<>();
        for (String type : TYPES) {
            for (BsonDocument commit : pipeline.database().getCollection(type + "_events", BsonDocument.class).find()) {
                events.addAll(CommitDocuments.decode(commit));
            }
        }
        return events;
    }
}
