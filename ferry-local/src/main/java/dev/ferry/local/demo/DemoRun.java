package dev.ferry.local.demo;

import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

import dev.ferry.app.wiring.Components;
import dev.ferry.config.FerryConfig;
import dev.ferry.core.event.Event;
import dev.ferry.core.projection.LatencyObservingWriter;
import dev.ferry.core.projection.Projection;
import dev.ferry.core.relay.ChangeStreamRelay;
import dev.ferry.core.relay.RelaySettings;
import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.core.transport.Transport;
import dev.ferry.embedded.kafka.EmbeddedKafka;
import dev.ferry.embedded.mongo.EmbeddedMongo;
import dev.ferry.embedded.nats.NatsServerProcess;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.engine.ProjectionProcessor;
import dev.ferry.kafka.KafkaTransport;
import dev.ferry.kafka.publish.ExactlyOnce;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.NatsTransport;

/**
 * The demo: the embedded MongoDB and Kafka (or a nats-server), a healthcare load, 2 relays and 3 projectors; the leader relay and a
 * projector are killed abruptly mid-run; at the end the event store, the topics and the read model are checked
 * against each other (the topics, or the JetStream stream).
 */
final class DemoRun {

    private static final String EVENTS = "events";
    private static final String RELAY = "demo-relay";
    private static final String READ_MODEL = "healthcare";

    /** @param transport {@code kafka} (the embedded Kafka) or {@code nats} (a nats-server child process) */
    record Options(long events, int ratePerSecond, int aggregates, int payloadBytes, FerryConfig.Transport transport,
                   boolean exactlyOnce) {

        Options(long events, int ratePerSecond, int aggregates, int payloadBytes) {
            this(events, ratePerSecond, aggregates, payloadBytes, FerryConfig.Transport.KAFKA, false);
        }
    }

    private final Options options;
    private final PrintStream progress;
    private final ProgressLine line;

    DemoRun(Options options, PrintStream progress) {
        this.options = options;
        this.progress = progress;
        this.line = new ProgressLine(progress);
    }

    DemoReport run() throws Exception {
        try (AutoCloseable wholeLine = line.keepWhole();
             EmbeddedMongo mongo = EmbeddedMongo.start(0, (int) Math.max(EmbeddedMongo.DEFAULT_OPLOG_CAPACITY,
                 options.events() * 2))) {
            if (options.transport() == FerryConfig.Transport.NATS) {
                // Stopped on every way out: here, and by its shutdown hook on Ctrl-C.
                try (NatsServerProcess nats = NatsServerProcess.start()) {
                    return run(mongo, new NatsTransport(NatsSettings.local(nats.url(), "ferry_demo")));
                }
            }
            try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
                KafkaSettings settings = KafkaSettings.local(kafka.bootstrapServers());
                if (options.exactlyOnce()) {
                    progress.println("the relays publish in Kafka's exactly-once mode (transactions, the position "
                        + "committed with the records)");
                }
                return run(mongo, new KafkaTransport(settings, options.exactlyOnce()
                    ? ExactlyOnce.forRelay(RELAY, settings.topicNaming().prefix())
                    : null));
            }
        }
    }

    private DemoReport run(EmbeddedMongo mongo, Transport transport) throws Exception {
        try (Components components = new Components(mongo.connectionString(), "ferry_demo", EVENTS, transport)) {
            return run(components);
        }
    }

    private DemoReport run(Components components) throws Exception {
        Recorder latency = new Recorder(TimeUnit.MINUTES.toMicros(10), 3);
        Projection projection = HealthcareDomain.readModel(READ_MODEL);
        RelaySettings relaySettings = RelaySettings.defaults(RELAY)
            .withInitialPosition(new StartPosition.AtTime(Instant.now().minusSeconds(1)));

        List<Transport.Publishers> publishers = List.of(components.relayPublishers(), components.relayPublishers());
        List<ChangeStreamRelay> relays = List.of(
            components.relay(relaySettings, "relay-1", publishers.get(0)),
            components.relay(relaySettings, "relay-2", publishers.get(1)));
        relays.forEach(ChangeStreamRelay::start);
        List<ProjectionProcessor> projectors = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            projectors.add(components.projector(projection, new LatencyObservingWriter(
                new MongoReadModelWriter(components.database(), true), millis -> latency.recordValue(millis * 1000)),
                ProcessorSettings.DEFAULT, "projector-" + i));
        }
        projectors.forEach(ProjectionProcessor::start);

        HealthcareLoad load = new HealthcareLoad(components.eventStore(), options.aggregates(), options.events(),
            options.ratePerSecond(), options.payloadBytes());
        long started = System.nanoTime();
        load.start();

        LeaderRelayKill relayKill = new LeaderRelayKill(relays, progress);
        ProjectionProcessor killedProjector = null;
        Set<String> orphaned = Set.of();
        long projectorKilledAt = 0;
        long projectorFailoverMillis = -1;
        long nextProgress = System.nanoTime();
        PipelineVerifier verifier = new PipelineVerifier(components.database(), EVENTS);
        while (!load.awaitDone(50, TimeUnit.MILLISECONDS) || relayKill.failoverMillis() < 0 || projectorFailoverMillis < 0) {
            long appended = load.appended();
            relayKill.step(appended >= options.events() * 4 / 10);
            if (killedProjector == null && appended >= options.events() * 6 / 10) {
                killedProjector = projectors.stream().filter(p -> !p.status().assigned().isEmpty()).findFirst().orElse(null);
                if (killedProjector != null) {
                    orphaned = killedProjector.status().assigned();
                    progress.printf("%n>>> killing a projector owning %s (no commit, no leave)%n", orphaned);
                    killedProjector.kill();
                    projectorKilledAt = System.nanoTime();
                }
            }
            if (killedProjector != null && projectorFailoverMillis < 0) {
                Set<String> owned = new HashSet<>();
                for (ProjectionProcessor p : projectors) {
                    if (p != killedProjector) {
                        owned.addAll(p.status().assigned());
                    }
                }
                if (owned.containsAll(orphaned)) {
                    projectorFailoverMillis = (System.nanoTime() - projectorKilledAt) / 1_000_000;
                    progress.printf("%n>>> its partitions moved to the other projectors in %d ms%n", projectorFailoverMillis);
                }
            }
            if (System.nanoTime() - nextProgress >= 0) {
                progressLine(started, load, relays, projectors);
                nextProgress = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            }
            if (System.nanoTime() - started > TimeUnit.MINUTES.toNanos(10)) {
                progress.printf("%n>>> the demo did not finish in 10 minutes; stopping%n");
                load.stop();
                break;
            }
        }

        progress.printf("%n>>> load done; waiting for the read model to catch up%n");
        List<Event> stored = verifier.storedEvents();
        PipelineVerifier.ReadModelVerdict readModel = awaitVerdict(verifier, stored, started, load, relays, projectors);
        double seconds = (System.nanoTime() - started) / 1e9;
        progressLine(started, load, relays, projectors);
        line.end();

        projectors.forEach(p -> p.close());
        relays.forEach(ChangeStreamRelay::close);
        publishers.forEach(Transport.Publishers::close);

        PipelineVerifier.TopicVerdict topicVerdict;
        String incompleteRead = null;
        try {
            topicVerdict = PipelineVerifier.transported(components.transport(), projection.aggregateTypes());
        } catch (PipelineVerifier.IncompleteRead e) {
            // No verdict over part of the topics: the report says what was not read, and the demo fails.
            incompleteRead = e.getMessage();
            topicVerdict = new PipelineVerifier.TopicVerdict(0, 0, 0);
        }
        Histogram histogram = latency.getIntervalHistogram();
        return new DemoReport(stored.size(), topicVerdict.distinctEvents(), topicVerdict.records(), readModel.applies(),
            readModel.duplicates(), readModel.orderViolations(), readModel.exact(), relayKill.failoverMillis(),
            projectorFailoverMillis, stored.size() / seconds, new DemoReport.Latency(
                histogram.getValueAtPercentile(50) / 1000.0, histogram.getValueAtPercentile(99) / 1000.0,
                histogram.getValueAtPercentile(99.9) / 1000.0), load.conflicts(),
            components.transport().name(), topicVerdict.records() - topicVerdict.distinctEvents(), incompleteRead);
    }

    private PipelineVerifier.ReadModelVerdict awaitVerdict(PipelineVerifier verifier, List<Event> stored, long started,
                                                       HealthcareLoad load, List<ChangeStreamRelay> relays,
                                                       List<ProjectionProcessor> projectors) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        PipelineVerifier.ReadModelVerdict verdict = verifier.readModel(READ_MODEL, stored);
        while (!(verdict.exact() && verdict.applies() >= stored.size()) && System.nanoTime() < deadline) {
            progressLine(started, load, relays, projectors);
            LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(1)); // re-checking reads the whole read model: not too often
            verdict = verifier.readModel(READ_MODEL, stored);
        }
        return verdict;
    }

    private void progressLine(long started, HealthcareLoad load, List<ChangeStreamRelay> relays,
                              List<ProjectionProcessor> projectors) {
        long published = relays.stream().mapToLong(r -> r.status().published()).sum();
        long applied = projectors.stream().mapToLong(p -> p.status().applied()).sum();
        ChangeStreamRelay leader = LeaderRelayKill.leader(relays);
        line.show(String.format("%5.1fs  appended %,7d (%,.0f/s)  published %,7d  applied %,7d  lag %,6d  leader %s   ",
            (System.nanoTime() - started) / 1e9, load.appended(), load.achievedPerSecond(), published, applied,
            Math.max(0, load.appended() - applied),
            leader == null ? "(election)" : leader.instanceId() + " epoch " + leader.status().epoch()));
    }

}
