package dev.ferry.it.projector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.target.ParkedEvents;
import dev.ferry.core.target.ParkedEvents.ParkedEvent;
import dev.ferry.core.target.ParkedEvents.PendingRequest;
import dev.ferry.core.target.ParkedEvents.Request;
import dev.ferry.core.target.RetryPolicy;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.PipelineFixture;
import dev.ferry.it.support.ReadModelCheck;
import dev.ferry.it.support.TestProjections;

/**
 * A handler that fails permanently for one aggregate: after its retries that event is parked with every later event
 * of the aggregate, in order, while everything else completes; once fixed, a retry request applies them in order
 * and the aggregate rejoins the live flow, exact.
 */
@Timeout(300)
class ParkedEventsIT extends PipelineFixture {

    private static final String BROKEN = "agg-7";


    @BeforeEach
    void startRelay() {
        pipeline.startRelay("relay-1");
    }

    @Test
    void aFailingAggregateIsParkedInOrderAndRetriedToExactness() throws Exception {
        AtomicBoolean broken = new AtomicBoolean(true);
        Projection projection = TestProjections.counter("parking_" + System.nanoTime(), (event, context) -> {
            if (broken.get() && event.aggregateId().equals(BROKEN)) {
                throw new IllegalStateException("the read model rejects " + BROKEN);
            }
            return TestProjections.merge(event.payloadJson());
        });
        ProcessorSettings settings = ProcessorSettings.DEFAULT
            .withRetry(new RetryPolicy(3, Duration.ofMillis(10), Duration.ofMillis(50)));
        pipeline.startProjector("p1", projection, settings);
        pipeline.startProjector("p2", projection, settings);
        ParkedEvents parked = pipeline.parkedEvents();
        String key = "patient/" + BROKEN;

        new AppendLoad(pipeline.store(), "patient", 50, 4_000, 3).runToEnd();
        long brokenEvents = pipeline.store().read("patient", BROKEN).size();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
            .until(() -> parked.parked(projection.name(), key).size() == brokenEvents);
        ReadModelCheck whileParked = pipeline.checkReadModel(projection);

        List<ParkedEvent> events = parked.parked(projection.name(), key);
        assertThat(events).extracting(p -> p.event().version()).isSorted().startsWith(1L);
        assertThat(events.get(0).attempts()).isEqualTo(3);
        assertThat(events.get(0).error()).contains("the read model rejects agg-7");
        assertThat(events.get(0).stack()).contains("IllegalStateException");
        assertThat(events.subList(1, events.size())).allSatisfy(p -> assertThat(p.error()).contains("parked behind"));
        assertThat(parked.parkedAggregates(projection.name())).containsExactly(key);
        assertThat(whileParked.exact()).isEqualTo(whileParked.aggregates() - 1);

        broken.set(false);
        parked.request(projection.name(), key, ParkedEvents.Request.RETRY);
        await().atMost(Duration.ofSeconds(60)).until(() -> parked.parked(projection.name(), key).isEmpty());
        pipeline.store().append("patient", BROKEN, brokenEvents, List.of(new NewEvent("Changed", "{\"n\": 1000}")));
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
            .until(() -> pipeline.checkReadModel(projection).readModelExact());

        ReadModelCheck check = pipeline.checkReadModel(projection);
        System.out.printf("ParkedEventsIT: %d events of %s parked in order while %d of %d aggregates completed; "
            + "after the retry: %s%n", brokenEvents, key, whileParked.exact(), whileParked.aggregates(), check);
        assertThat(check.duplicatesApplied()).isZero();
        assertThat(check.orderViolations()).isZero();
        assertThat(parked.pendingRequests(projection.name())).isEmpty();
    }

    @Test
    void parkingIsRetriedWhileTheParkedStoreFailsSoNoEventIsLeftHalfway() throws Exception {
        Projection projection = TestProjections.counter("parking_outage_" + System.nanoTime(), (event, context) -> {
            if (event.aggregateId().equals(BROKEN)) {
                throw new IllegalStateException("the read model rejects " + BROKEN);
            }
            return TestProjections.merge(event.payloadJson());
        });
        ParkedEvents store = pipeline.parkedEvents();
        AtomicInteger failuresLeft = new AtomicInteger(3);
        ParkedEvents flaky = new ParkedEvents() { // the parked store is unreachable for its first three writes
            @Override
            public void park(String name, ParkedEvent parked) {
                if (failuresLeft.getAndDecrement() > 0) {
                    throw new IllegalStateException("parked store unreachable");
                }
                store.park(name, parked);
            }

            @Override
            public java.util.Set<String> parkedAggregates(String name) {
                return store.parkedAggregates(name);
            }

            @Override
            public List<ParkedEvent> parked(String name, String aggregateKey) {
                return store.parked(name, aggregateKey);
            }

            @Override
            public void remove(String name, ParkedEvent parked) {
                store.remove(name, parked);
            }

            @Override
            public void request(String name, String aggregateKey, Request request) {
                store.request(name, aggregateKey, request);
            }

            @Override
            public java.util.Set<String> projections() {
                return store.projections();
            }

            @Override
            public List<PendingRequest> pendingRequests(String name) {
                return store.pendingRequests(name);
            }

            @Override
            public void complete(String name, PendingRequest request, String result) {
                store.complete(name, request, result);
            }
        };
        pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT
            .withRetry(new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(50))), flaky);

        new AppendLoad(pipeline.store(), "patient", 20, 400, 2).runToEnd();
        long brokenEvents = pipeline.store().read("patient", BROKEN).size();
        String key = "patient/" + BROKEN;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
            .until(() -> store.parked(projection.name(), key).size() == brokenEvents);

        assertThat(failuresLeft.get()).isNegative();
        assertThat(store.parked(projection.name(), key)).extracting(p -> p.event().version()).isSorted().startsWith(1L);
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            ReadModelCheck check = pipeline.checkReadModel(projection);
            return check.exact() == check.aggregates() - 1;
        });
    }

    @Test
    void anUndecodableRecordIsParkedWithItsRawValueNeverDroppedAndOthersFlow() throws Exception {
        Projection projection = TestProjections.counter("poison_" + System.nanoTime());
        pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT);
        String topic = pipeline.kafkaSettings().topicNaming().topicFor("patient");
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(Map.of(
            ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()), new StringSerializer(),
            new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "poison-1", "this is not an event")).get();
        }
        new AppendLoad(pipeline.store(), "patient", 20, 200, 2).runToEnd();

        ParkedEvents parked = pipeline.parkedEvents();
        await().atMost(Duration.ofSeconds(60)).until(() -> parked.parked(projection.name(), "patient/poison-1").size() == 1);
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.checkReadModel(projection).readModelExact());
        ParkedEvent poison = parked.parked(projection.name(), "patient/poison-1").get(0);
        assertThat(poison.event()).isNull();
        assertThat(poison.rawValue()).isEqualTo("this is not an event");
        assertThat(poison.error()).contains("not a Ferry event");
    }

    @Test
    void anOperatorCanSkipOneEventDeliberatelyAndTheSkipStaysVisible() {
        Projection projection = TestProjections.counter("skipping_" + System.nanoTime(), (event, context) -> {
            if (event.version() == 2) {
                throw new IllegalStateException("version 2 is poison for this handler");
            }
            return TestProjections.merge(event.payloadJson());
        });
        pipeline.startProjector("p1", projection, ProcessorSettings.DEFAULT
            .withRetry(new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(20))));
        ParkedEvents parked = pipeline.parkedEvents();
        List<Event> stored = pipeline.store().append("patient", "skip-me", 0, List.of(new NewEvent("Changed", "{\"n\": 1}"),
            new NewEvent("Changed", "{\"n\": 2}"), new NewEvent("Changed", "{\"n\": 3}")));
        await().atMost(Duration.ofSeconds(60)).until(() -> parked.parked(projection.name(), "patient/skip-me").size() == 2);

        parked.request(projection.name(), "patient/skip-me", ParkedEvents.Request.SKIP_FIRST);
        await().atMost(Duration.ofSeconds(60)).until(() -> parked.parked(projection.name(), "patient/skip-me").isEmpty());

        org.bson.Document document = ProjectorExactnessIT.readModelDocument(pipeline, projection, "skip-me");
        assertThat(document.get("_version")).isEqualTo(3L);
        assertThat(document.get("state", org.bson.Document.class).get("n")).isEqualTo(3);
        assertThat(document.getList("_skipped", org.bson.Document.class)).singleElement()
            .satisfies(marker -> {
                assertThat(marker.get("version")).isEqualTo(2L);
                assertThat(marker.getString("eventId")).isEqualTo(stored.get(1).eventId());
            });
    }
}
