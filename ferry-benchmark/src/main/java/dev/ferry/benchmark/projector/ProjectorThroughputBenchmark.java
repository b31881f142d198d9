package dev.ferry.benchmark.projector;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.core.event.Event;
import dev.ferry.core.event.EventMetadata;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.projection.ReadModelChange;
import dev.ferry.core.relay.spi.RecordPublisher;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.wire.EventJsonDecoder;
import dev.ferry.kafka.projector.ProjectorRuntime;
import dev.ferry.kafka.publish.KafkaPublishers;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.mongodb.parking.MongoParkedEvents;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;

/**
 * Projector throughput against the raw consumer throughput of the same topic, in the same run, on the embedded
 * stack: a topic is pre-loaded with events, then read by a plain KafkaConsumer (baseline: fetch and decode only),
 * then by one projector instance that applies every event to a MongoDB read model. A program, not a test.
 */
public final class ProjectorThroughputBenchmark {

    private final PrintStream out;
    private final int events;
    private final int aggregates;
    private final int payloadBytes;
    private final int lanes;

    public ProjectorThroughputBenchmark(PrintStream out, int events, int aggregates, int payloadBytes, int lanes) {
        this.out = out;
        this.events = events;
        this.aggregates = aggregates;
        this.payloadBytes = payloadBytes;
        this.lanes = lanes;
    }

    public void run() throws Exception {
        try (EmbeddedMongo mongo = EmbeddedMongo.start(); EmbeddedKafka kafka = EmbeddedKafka.start();
             MongoClient client = MongoClients.create(mongo.connectionString())) {
            KafkaSettings settings = KafkaSettings.local(kafka.bootstrapServers());
            preload(settings);
            String topic = settings.topicNaming().topicFor("patient");

            // An unmeasured first pass of both readers over the same topic: otherwise the JIT compiling them is
            // measured too (three cold runs spread from 9,900 to 15,200/s).
            rawConsumerRate(kafka.bootstrapServers(), topic);
            projectorRate(client.getDatabase("bench_warmup"), settings, "bench_warmup");
            double raw = rawConsumerRate(kafka.bootstrapServers(), topic);
            double projected = projectorRate(client.getDatabase("bench"), settings, "bench_counters");

            out.printf("# Projector throughput vs raw consumer (same topic, same run)%n%n");
            out.printf("machine: %d cores, Java %s; %,d events over %,d aggregates, ~%d-byte payloads, 6 partitions%n%n",
                Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), events, aggregates,
                payloadBytes);
            out.printf("| reader | events/s | ratio |%n|---|---|---|%n");
            out.printf("| raw KafkaConsumer (fetch + decode) | %,.0f | 1.00 |%n", raw);
            out.printf("| Ferry projector (1 instance, %d lanes, version-checked MongoDB writes) | %,.0f | %.2f |%n",
                lanes, projected, projected / raw);
        }
    }

    private void preload(KafkaSettings settings) throws Exception {
        String padding = "x".repeat(Math.max(0, payloadBytes - 20));
        try (KafkaPublishers publishers = new KafkaPublishers(settings)) {
            RecordPublisher publisher = publishers.get();
            List<CompletableFuture<Void>> sends = new ArrayList<>(events);
            long[] versions = new long[aggregates];
            for (int i = 0; i < events; i++) {
                int aggregate = i % aggregates;
                long version = ++versions[aggregate];
                Event event = new Event(UUID.randomUUID().toString(), "patient", "agg-" + aggregate, version, "Changed",
                    Instant.now(), "{\"n\":" + version + ",\"pad\":\"" + padding + "\"}", EventMetadata.NONE);
                sends.add(publisher.publish(event, new RecordPublisher.Provenance("bench", 1, i + 1)));
            }
            CompletableFuture.allOf(sends.toArray(new CompletableFuture[0])).get(5, TimeUnit.MINUTES);
            publisher.close();
        }
    }

    private double rawConsumerRate(String bootstrapServers, String topic) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-raw-" + UUID.randomUUID());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        EventJsonDecoder decoder = new EventJsonDecoder();
        long read = 0;
        long started = System.nanoTime();
        try (KafkaConsumer<String, byte[]> consumer =
                 new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = started + TimeUnit.MINUTES.toNanos(5);
            while (read < events && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(100))) {
                    decoder.decode(record.value());
                    read++;
                }
            }
        }
        return read / ((System.nanoTime() - started) / 1e9);
    }

    private double projectorRate(MongoDatabase database, KafkaSettings settings, String name) {
        Projection projection = Projection.named(name).forAggregateTypes("patient")
            .on("Changed", (event, context) -> new ReadModelChange.Merge(event.payloadJson()))
            .build();
        ProjectorRuntime projector = new ProjectorRuntime(projection, new MongoReadModelWriter(database, false),
            new MongoParkedEvents(database), ProcessorSettings.DEFAULT.withLaneThreads(lanes), settings, "bench");
        long started = System.nanoTime();
        projector.start();
        long deadline = started + TimeUnit.MINUTES.toNanos(10);
        while (projector.status().applied() < events && System.nanoTime() < deadline) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        double rate = projector.status().applied() / ((System.nanoTime() - started) / 1e9);
        projector.close();
        return rate;
    }
}
