package dev.ferry.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.core.store.EventStore;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.spring.boot.actuate.FerryHealthAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/** What the starter adds to an application context, and when it stays out of the way. */
class FerryAutoConfigurationIT {

    private static MongoUnderTest mongo;
    private static MongoClient client;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(FerryAutoConfiguration.class, FerryHealthAutoConfiguration.class));

    @BeforeAll
    static void startMongo() {
        mongo = MongoUnderTest.start("starter");
        client = MongoClients.create(mongo.connectionString());
    }

    @AfterAll
    static void stopMongo() {
        client.close();
        mongo.close();
    }

    private ApplicationContextRunner withMongo() {
        return runner.withBean(MongoClient.class, () -> client, bean -> bean.setDestroyMethodName(""))
            .withPropertyValues("ferry.database=" + mongo.databaseName(), "ferry.kafka.bootstrap-servers=127.0.0.1:1");
    }

    @Test
    void withoutAMongoClientTheStarterAddsNothing() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(EventStore.class).doesNotHaveBean(FerryProjections.class)
                .doesNotHaveBean(HealthIndicator.class);
        });
    }

    @Test
    void onTheApplicationsMongoClientItAddsTheEventStoreTheProjectionsAndTheHealthIndicatorButNoRelay() {
        withMongo().run(context -> {
            assertThat(context).hasSingleBean(EventStore.class).hasSingleBean(Transport.class)
                .hasSingleBean(FerryProjections.class).doesNotHaveBean(FerryRelay.class)
                .hasBean("ferryHealthIndicator");
            assertThat(context.getBean(Transport.class).name()).isEqualTo("kafka");
        });
    }

    @Test
    void aMistakenSettingFailsTheContextWithOneLineNamingItsKey() {
        withMongo().withPropertyValues("ferry.kafka.partitions=0").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause().hasMessageStartingWith("ferry.kafka.partitions: ");
        });
    }

    @Test
    void theHealthIndicatorIsDownNamingTheBrokerThatDoesNotAnswer() {
        withMongo().withBean(MeterRegistry.class, SimpleMeterRegistry::new).run(context -> {
            var health = context.getBean("ferryHealthIndicator", HealthIndicator.class).health();
            assertThat(health.getStatus()).isEqualTo(Status.DOWN);
            assertThat(health.getDetails().get("problem").toString()).contains("127.0.0.1:1");
        });
    }

    /** A MongoDB of its own (the embedded one, even with FERRY_MONGODB_URI set): the test stops it. */
    @Test
    void theHealthIndicatorNamesMongoDbOnceItStopsAnswering() {
        EmbeddedMongo stopping = EmbeddedMongo.start();
        AtomicBoolean stopped = new AtomicBoolean();
        // The indicator reads the driver's own view, as fresh as its heartbeat: 1 s here, 10 s by default.
        try (MongoClient application = MongoClients.create(stopping.connectionString() + "/?heartbeatFrequencyMS=1000")) {
            runner.withBean(MongoClient.class, () -> application, bean -> bean.setDestroyMethodName(""))
                .withPropertyValues("ferry.kafka.bootstrap-servers=127.0.0.1:1").run(context -> {
                    HealthIndicator indicator = context.getBean("ferryHealthIndicator", HealthIndicator.class);
                    assertThat(indicator.health().getDetails().get("problem").toString()).doesNotContain("MongoDB");
                    stopping.close();
                    stopped.set(true);
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(indicator.health()
                        .getDetails().get("problem").toString()).startsWith("MongoDB has no writable server"));
                    assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
                });
        } finally {
            if (!stopped.get()) {
                stopping.close();
            }
        }
    }
}
