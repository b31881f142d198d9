package dev.ferry.it.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.it.support.AppendLoad;
import dev.ferry.it.support.DeliveryCheck;
import dev.ferry.it.support.PublishedRecord;
import dev.ferry.it.support.Pipeline;

/** Kafka stopped under load and restarted on the same port: nothing is lost, the relay recovers by itself. */
@Timeout(300)
class BrokerOutageIT {

    private EmbeddedKafka kafka;
    private MongoUnderTest mongo;
    private Pipeline pipeline;

    @BeforeEach
    void start() {
        kafka = EmbeddedKafka.start();
        mongo = MongoUnderTest.start("ferry_outage");
        pipeline = new Pipeline(mongo, kafka);
        // A small in-flight bound, so the outage also exercises backpressure: the relay stops reading.
        pipeline.withSettings(pipeline.settings().withMaxInFlight(500));
    }

    @AfterEach
    void stop() {
        pipeline.close();
        mongo.close();
        kafka.close();
    }

    private long commits() {
        return pipeline.database().getCollection(Pipeline.EVENTS).countDocuments();
    }

    @Test
    void nothingIsLostAcrossABrokerRestart() throws Exception {
        ChangeStreamRelay relay = pipeline.startRelay("r1");
        pipeline.startRelay("r2");
        AppendLoad load = new AppendLoad(pipeline.store(), "patient", 200, 8_000, 2);
        CompletableFuture<Void> appending = load.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> relay.status().published() >= 1_000
            || pipeline.recordCount() >= 1_000);

        long stoppedAt = System.nanoTime();
        kafka.stop();
        // The outage lasts while 1,000 more commits are appended: more than the relay may hold in flight.
        long commitsAtStop = commits();
        await().atMost(Duration.ofSeconds(60)).until(() -> commits() >= commitsAtStop + 1_000 || appending.isDone());
        kafka.restart();
        long outageMillis = (System.nanoTime() - stoppedAt) / 1_000_000;

        appending.get();
        int stored = pipeline.storedEvents().size();
        await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(500))
            .until(() -> pipeline.topics().read(pipeline.topicPrefix(), pipeline.deadLetterTopic()).stream()
                .map(PublishedRecord::eventId).distinct().count() >= stored);
        long recoveredMillis = (System.nanoTime() - stoppedAt) / 1_000_000;

        DeliveryCheck check = pipeline.check();
        System.out.printf("BrokerOutageIT: broker down %d ms; all %d events in the topics %d ms after the stop; %s%n",
            outageMillis, stored, recoveredMillis, check);
        assertThat(check.lost()).isZero();
        assertThat(check.unknown()).isZero();
        assertThat(check.orderViolations()).isZero();
    }
}
