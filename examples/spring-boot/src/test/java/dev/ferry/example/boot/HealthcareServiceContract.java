package dev.ferry.example.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.bson.Document;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.Filters;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.NewEvent;
import dev.ferry.core.partition.TopicNaming;
import dev.ferry.embedded.mongo.MongoUnderTest;
import dev.ferry.engine.ProcessorStatus;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import dev.ferry.mongodb.store.MongoEventStore;
import dev.ferry.spring.boot.FerryProjections;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * What a Spring Boot service gets from ferry-spring-boot-starter, on one transport (a subclass each): readiness that
 * follows the broker, and a read model exact after its context is closed under load and started again. The service is
 * {@link HealthcareApplication} as it ships, configured by command-line properties as a deployment would.
 */
abstract class HealthcareServiceContract {

    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    static MongoUnderTest mongo;
    private static MongoClient client;

    private final List<ConfigurableApplicationContext> contexts = new ArrayList<>();
    private String database;
    private String run;

    /** The transport's properties for a run whose topics or stream are named after {@code run}. */
    abstract List<String> transportArguments(String run);

    abstract void stopBroker();

    abstract void startBroker();

    @BeforeAll
    static void startMongo() {
        mongo = MongoUnderTest.start("boot");
        client = MongoClients.create(mongo.connectionString());
    }

    @AfterAll
    static void stopMongo() {
        if (client != null) {
            client.close();
        }
        if (mongo != null) {
            mongo.close();
        }
    }

    @AfterEach
    void closeContexts() {
        contexts.forEach(ConfigurableApplicationContext::close);
    }

    @Test
    void readinessIsDownWhileTheBrokerIsStoppedAndUpAgainAfter() throws Exception {
        newRun();
        ConfigurableApplicationContext service = startService("a");
        await("ready").atMost(Duration.ofSeconds(60)).until(() -> readiness(service) == 200);
        MongoEventStore store = store();
        Map<String, Long> versions = new HashMap<>();
        appendSome(store, versions, 20);
        awaitReadModel(store, versions);

        stopBroker();
        try {
            await("not ready without the broker").atMost(Duration.ofSeconds(30)).until(() -> readiness(service) == 503);
            assertThat(readinessBody(service)).contains("\"ferry\"").contains("DOWN");
        } finally {
            startBroker();
        }
        await("ready again").atMost(Duration.ofSeconds(90)).until(() -> readiness(service) == 200);
        appendSome(store, versions, 20);
        awaitReadModel(store, versions);
    }

    @Test
    void everyEventIsAppliedOnceWhenTheContextIsClosedUnderLoadAndStartedAgain() throws Exception {
        newRun();
        ConfigurableApplicationContext first = startService("a");
        await("ready").atMost(Duration.ofSeconds(60)).until(() -> readiness(first) == 200);
        MongoEventStore store = store();
        Map<String, Long> versions = new HashMap<>();
        AtomicBoolean appending = new AtomicBoolean(true);
        AtomicLong appended = new AtomicLong();
        AtomicReference<RuntimeException> failure = new AtomicReference<>();
        Thread appender = new Thread(() -> {
            try {
                while (appending.get() && appended.get() < 20_000) {
                    appendSome(store, versions, 1);
                    appended.incrementAndGet();
                }
            } catch (RuntimeException e) {
                failure.set(e);
            }
        }, "appender");
        appender.start();
        try {
            FerryProjections projections = first.getBean(FerryProjections.class);
            await("applied under load").atMost(Duration.ofSeconds(60))
                .until(() -> applied(projections) >= 300);
            MeterRegistry meters = first.getBean(MeterRegistry.class);
            assertThat(meters.get("ferry.projector.events.applied").tag("projection", HealthcareApplication.READ_MODEL)
                .functionCounter().count()).as("the CLI's meter, tagged with the projection").isPositive();
            assertThat(meters.get("ferry.relay.events.published").functionCounter().count()).isPositive();
            first.close(); // under load: appends go on
            assertThat(Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(name -> name.equals("engine-" + HealthcareApplication.READ_MODEL + "-a")
                    || name.equals("relay-ferry-relay-a")).toList()).as("threads of the closed context").isEmpty();
            long appliedByFirst = applied(projections);
            assertThat(appliedByFirst).isPositive();

            ConfigurableApplicationContext second = startService("b");
            FerryProjections again = second.getBean(FerryProjections.class);
            await("applied after the restart").atMost(Duration.ofSeconds(60)).until(() -> applied(again) >= 300);
            appending.set(false);
            appender.join(Duration.ofSeconds(30).toMillis());
            assertThat(appender.isAlive()).isFalse();
            assertThat(failure.get()).isNull();

            awaitReadModel(store, versions);
            long total = versions.values().stream().mapToLong(Long::longValue).sum();
            assertThat(total).isEqualTo(appended.get());
            assertThat(appliedByFirst + applied(again)).as("applied by the first and the second context")
                .isEqualTo(total);
            MongoCollection<Document> readModel = client.getDatabase(database)
                .getCollection(HealthcareApplication.READ_MODEL);
            for (Map.Entry<String, Long> aggregate : versions.entrySet()) {
                Document document = readModel.find(Filters.eq("_id", aggregate.getKey().split("/")[1])).first();
                List<Long> applyLog = document.getList(MongoReadModelWriter.APPLY_LOG, Number.class).stream()
                    .map(Number::longValue).toList();
                assertThat(applyLog).as("versions applied to %s", aggregate.getKey())
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, aggregate.getValue())
                        .boxed().toList());
            }
        } finally {
            appending.set(false);
            appender.join(Duration.ofSeconds(30).toMillis());
        }
    }

    private void newRun() {
        run = "boot" + RUNS.incrementAndGet();
        database = mongo.databaseName() + "_" + run;
    }

    private ConfigurableApplicationContext startService(String instance) {
        List<String> arguments = new ArrayList<>(List.of("--server.port=0",
            "--spring.mongodb.uri=" + mongo.connectionString(), "--ferry.database=" + database,
            "--ferry.instance-id=" + instance, "--ferry.projector.apply-log=true",
            "--spring.main.banner-mode=off"));
        arguments.addAll(transportArguments(run));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(HealthcareApplication.class)
            .run(arguments.toArray(String[]::new));
        contexts.add(context);
        return context;
    }

    private MongoEventStore store() {
        return new MongoEventStore(client.getDatabase(database), "events", new TopicNaming(""),
            MongoEventStore.DEFAULT_MAX_EVENT_BYTES);
    }

    private static long applied(FerryProjections projections) {
        return projections.status(HealthcareApplication.READ_MODEL).map(ProcessorStatus::applied).orElse(0L);
    }

    private static int readiness(ConfigurableApplicationContext service) {
        try {
            return HTTP.send(readinessRequest(service), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (java.io.IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static String readinessBody(ConfigurableApplicationContext service) throws Exception {
        return HTTP.send(readinessRequest(service), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static HttpRequest readinessRequest(ConfigurableApplicationContext service) {
        int port = ((WebServerApplicationContext) service).getWebServer().getPort();
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness"))
            .timeout(Duration.ofSeconds(10)).build();
    }

    /**
     * Appends {@code count} events to aggregates of 40 (patients and practitioners): a registration, updates, now and
     * then a discharge or removal and a registration after it, so the fold covers every handler.
     */
    private static void appendSome(MongoEventStore store, Map<String, Long> versions, int count) {
        for (int i = 0; i < count; i++) {
            int n = (int) (Math.abs(System.nanoTime()) % 40);
            String type = n % 2 == 0 ? "patient" : "practitioner";
            String id = type.substring(0, 4) + "-" + n;
            String key = type + "/" + id;
            long version;
            synchronized (versions) {
                version = versions.getOrDefault(key, 0L) + 1;
                versions.put(key, version);
            }
            store.append(type, id, version - 1, List.of(eventAt(type, id, version)));
        }
    }

    private static NewEvent eventAt(String type, String id, long version) {
        String prefix = type.equals("patient") ? "Patient" : "Practitioner";
        String ended = type.equals("patient") ? "PatientDischarged" : "PractitionerRemoved";
        if (version % 7 == 1) {
            return new NewEvent(prefix + "Registered", "{\"name\":\"" + id + "\",\"registeredAt\":" + version + "}");
        }
        if (version % 7 == 0) {
            return new NewEvent(ended, "{}");
        }
        return new NewEvent(prefix + "Updated",
            "{\"v\":" + version + ",\"field" + (version % 3) + "\":" + version + "}");
    }

    /** Waits until every aggregate's read-model document is at its last version with the state the fold gives. */
    private void awaitReadModel(MongoEventStore store, Map<String, Long> versions) {
        MongoCollection<Document> readModel = client.getDatabase(database)
            .getCollection(HealthcareApplication.READ_MODEL);
        Map<String, Long> expected;
        synchronized (versions) {
            expected = new HashMap<>(versions);
        }
        await("read model at the last versions").atMost(Duration.ofSeconds(90)).until(() -> expected.entrySet().stream()
            .allMatch(aggregate -> {
                Document document = readModel.find(Filters.eq("_id", aggregate.getKey().split("/")[1])).first();
                return document != null && document.get(MongoReadModelWriter.VERSION, Number.class).longValue()
                    == aggregate.getValue();
            }));
        for (String aggregate : expected.keySet()) {
            String[] typeAndId = aggregate.split("/");
            Map<String, Object> state = fold(store.read(typeAndId[0], typeAndId[1]));
            Document document = readModel.find(Filters.eq("_id", typeAndId[1])).first();
            if (state == null) {
                assertThat(document.getBoolean(MongoReadModelWriter.DELETED)).as(aggregate).isTrue();
            } else {
                assertThat(document.get(MongoReadModelWriter.STATE, Document.class)).as(aggregate)
                    .isEqualTo(new Document(state));
            }
        }
    }

    /** The fold, written independently of the projection: the state the events lead to, or null if removed. */
    private static Map<String, Object> fold(List<Event> events) {
        Map<String, Object> state = null;
        for (Event event : events) {
            Document payload = Document.parse(event.payloadJson());
            if (event.eventType().endsWith("Registered")) {
                state = new LinkedHashMap<>(payload);
            } else if (event.eventType().endsWith("Updated")) {
                state = state == null ? new LinkedHashMap<>() : state;
                state.putAll(payload);
            } else {
                state = null;
            }
        }
        return state;
    }
}
