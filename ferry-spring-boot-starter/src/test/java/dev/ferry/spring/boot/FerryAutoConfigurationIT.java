package dev.ferry.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;

import dev.ferry.core.lease.Lease;
import dev.ferry.core.lease.LeaseStore;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.store.EventStore;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.mongodb.lease.MongoLeaseStore;
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
        if (nats != null) {
            nats.close();
        }
    }

    private static NatsServerProcess nats;
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** A context on nats-server (started once, for the tests that start projections or the relay), a stream per run. */
    private ApplicationContextRunner onNats(MeterRegistry registry) {
        if (nats == null) {
            nats = NatsServerProcess.start();
        }
        int run = RUNS.incrementAndGet();
        return runner.withBean(MongoClient.class, () -> client, bean -> bean.setDestroyMethodName(""))
            .withBean(MeterRegistry.class, () -> registry, bean -> bean.setDestroyMethodName(""))
            .withPropertyValues("ferry.database=" + mongo.databaseName() + "_nats" + run, "ferry.transport=nats",
                "ferry.nats.servers=" + nats.url(), "ferry.nats.stream=starter" + run, "ferry.nats.partitions=2",
                "ferry.instance-id=i" + run);
    }

    private static List<String> liveThreads(String... prefixes) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
            .filter(name -> Arrays.stream(prefixes).anyMatch(name::startsWith)).toList();
    }

    private static List<String> ferryMeters(MeterRegistry registry) {
        return registry.getMeters().stream().map(meter -> meter.getId().getName())
            .filter(name -> name.startsWith("ferry.")).toList();
    }

    @Test
    void theRelayAndAProjectionRunRegisterTheCliMetersAndLeaveNothingBehindWhenTheContextCloses() {
        MeterRegistry registry = new SimpleMeterRegistry();
        ApplicationContextRunner onNats = onNats(registry);
        // another instance holds the relay's lease, so no checkpoint is written until it hands the lease back
        LeaseStore leases = new MongoLeaseStore(client.getDatabase(mongo.databaseName() + "_nats" + RUNS.get()),
            MongoLeaseStore.COLLECTION);
        Lease other = leases.tryAcquire("ferry-relay", "other", Optional.empty()).orElseThrow();
        // a TTL longer than the context takes to start: the other owner renews only while the test polls (a released
        // lease is taken at once)
        onNats.withPropertyValues("ferry.relay.enabled=true", "ferry.relay.lease-ttl=5s")
            .withBean("patients", Projection.class, () -> Projection.named("patients").forAggregateTypes("patient")
                .on("PatientRegistered", (event, context) -> new ReadModelChange.Put(event.payloadJson())).build())
            .run(context -> {
                assertThat(context).hasNotFailed().hasSingleBean(FerryRelay.class);
                String instance = context.getBean(FerryProjections.class).instanceId();
                assertThat(liveThreads("engine-patients-" + instance, "relay-ferry-relay-" + instance)).hasSize(2);
                assertThat(registry.get("ferry.projector.events.applied").tag("projection", "patients")
                    .functionCounter()).isNotNull();
                assertThat(registry.get("ferry.relay.leader").gauge()).isNotNull();
                HealthIndicator indicator = context.getBean("ferryHealthIndicator", HealthIndicator.class);
                // before the relay's first checkpoint, what is appended could come before where it starts: not ready
                await().atMost(Duration.ofSeconds(30)).until(() -> leases.renew("ferry-relay", "other", other.epoch())
                    && String.valueOf(indicator.health().getDetails().get("problem"))
                        .startsWith("relay: no checkpoint yet"));
                leases.release("ferry-relay", "other", other.epoch());
                await().atMost(Duration.ofSeconds(30)).until(() -> indicator.health().getStatus().equals(Status.UP));
                assertThat(indicator.health().getDetails()).containsEntry("relayCheckpointed", true);
                context.close();
                assertThat(liveThreads("engine-patients-" + instance, "relay-ferry-relay-" + instance,
                    "ferry-nats-probe", "ferry-relay-checkpoint-watch")).as("threads of the closed context").isEmpty();
                assertThat(ferryMeters(registry)).as("meters of the closed context").isEmpty();
            });
    }

    @Test
    void aProjectionThatCannotStartFailsTheContextAndStopsThoseStartedBeforeIt() {
        MeterRegistry registry = new SimpleMeterRegistry();
        onNats(registry)
            .withBean("first", Projection.class, () -> Projection.named("first").forAggregateTypes("patient")
                .otherwise((event, context) -> ReadModelChange.UNCHANGED).build())
            .withBean("second", Projection.class, () -> Projection.named("second").forAggregateTypes("not.a.token")
                .otherwise((event, context) -> ReadModelChange.UNCHANGED).build())
            .run(context -> {
                assertThat(context).hasFailed();
                assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("not.a.token");
                assertThat(liveThreads("engine-first-")).as("threads of the projection started first").isEmpty();
                assertThat(ferryMeters(registry)).as("meters of the projection started first").isEmpty();
            });
    }

    @Test
    void twoProjectionsOfOneNameFailTheContextNamingIt() {
        withMongo()
            .withBean("one", Projection.class, () -> Projection.named("patients").forAggregateTypes("patient")
                .otherwise((event, context) -> ReadModelChange.UNCHANGED).build())
            .withBean("two", Projection.class, () -> Projection.named("patients").forAggregateTypes("patient")
                .otherwise((event, context) -> ReadModelChange.UNCHANGED).build())
            .run(context -> assertThat(context.getStartupFailure()).rootCause()
                .hasMessageStartingWith("two Projection beans are named 'patients'"));
    }

    @Test
    void kafkaClientPropertiesKeepTheirDottedNamesAndThoseFerryOwnsAreRefused() {
        withMongo().withPropertyValues("ferry.kafka.properties.security.protocol=PLAINTEXT").run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(FerryProperties.class).kafka().properties())
                .containsEntry("security.protocol", "PLAINTEXT");
        });
        withMongo().withPropertyValues("ferry.kafka.properties.enable.idempotence=false").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                .hasMessageStartingWith("ferry.kafka.properties.enable.idempotence: ");
        });
    }

    @Test
    void theRelaySettingsThatCopyEverySourceAreRefusedNamingTheirKeys() {
        withMongo().withPropertyValues("ferry.relay.enabled=true", "ferry.relay.start=earliest").run(context ->
            assertThat(context.getStartupFailure()).rootCause().hasMessageStartingWith("ferry.relay.start: "));
        withMongo().withPropertyValues("ferry.relay.enabled=true", "ferry.relay.history-lost=recopy").run(context ->
            assertThat(context.getStartupFailure()).rootCause().hasMessageStartingWith("ferry.relay.history-lost: "));
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
            HealthIndicator indicator = context.getBean("ferryHealthIndicator", HealthIndicator.class);
            assertThat(indicator.health().getStatus()).as("before the first answer").isEqualTo(Status.DOWN);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(String.valueOf(indicator.health()
                .getDetails().get("problem"))).contains("127.0.0.1:1"));
            assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
        });
    }

    /** A MongoDB of its own (the embedded one, even with FERRY_MONGODB_URI set): the test stops it. */
    @Test
    void theHealthIndicatorNamesMongoDbOnceItStopsAnswering() {
        EmbeddedMongo stopping = EmbeddedMongo.start();
        AtomicBoolean stopped = new AtomicBoolean();
        // The indicator reads the driver's own view, as fresh as its heartbeat: 1 s here, 10 s by default.
        String uri = stopping.connectionString() + "/?heartbeatFrequencyMS=1000";
        try (MongoClient application = MongoClients.create(uri)) {
            runner.withBean(MongoClient.class, () -> application, bean -> bean.setDestroyMethodName(""))
                .withPropertyValues("ferry.kafka.bootstrap-servers=127.0.0.1:1").run(context -> {
                    HealthIndicator indicator = context.getBean("ferryHealthIndicator", HealthIndicator.class);
                    assertThat(String.valueOf(indicator.health().getDetails().get("problem")))
                        .doesNotContain("MongoDB");
                    stopping.close();
                    stopped.set(true);
                    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(String.valueOf(indicator
                        .health().getDetails().get("problem"))).startsWith("MongoDB has no writable server"));
                    assertThat(indicator.health().getStatus()).isEqualTo(Status.DOWN);
                });
        } finally {
            if (!stopped.get()) {
                stopping.close();
            }
        }
    }
}
