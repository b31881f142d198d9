package dev.ferry.local.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.bson.BsonDocument;
import org.bson.Document;

import com.mongodb.client.MongoDatabase;

import io.nats.client.Connection;

import dev.ferry.core.event.Event;
import dev.ferry.core.transport.Transport;
import dev.ferry.engine.wire.EventJsonDecoder;
import dev.ferry.kafka.KafkaTransport;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.mongodb.readmodel.ApplyLogAudit;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;
import dev.ferry.mongodb.store.CommitDocuments;
import dev.ferry.nats.NatsConnections;
import dev.ferry.nats.NatsSettings;
import dev.ferry.nats.NatsTransport;
import dev.ferry.nats.StreamContents;

/** Reads the event store, the topics (or the NATS stream) and the read model, and checks them against each other. */
public final class PipelineVerifier {

    public record ReadModelVerdict(long applies, long duplicates, long orderViolations, boolean exact, long aggregates) {
    }

    /**
     * @param orderViolations records whose version is beyond the next one for their aggregate (a duplicate, at or below
     *                        the highest seen, is not a violation)
     */
    public record TopicVerdict(long records, long distinctEvents, long orderViolations) {
    }

    /** How long reading the topics to their end offsets may take: minutes of demo load read in seconds, slack for CI. */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(60);

    private final MongoDatabase database;
    private final String eventsCollection;

    public PipelineVerifier(MongoDatabase database, String eventsCollection) {
        this.database = database;
        this.eventsCollection = eventsCollection;
    }

    public List<Event> storedEvents() {
        List<Event> events = new ArrayList<>();
        for (BsonDocument commit : database.getCollection(eventsCollection, BsonDocument.class).find()) {
            events.addAll(CommitDocuments.decode(commit));
        }
        return events;
    }

    public ReadModelVerdict readModel(String collection, List<Event> stored) {
        Map<String, List<Event>> byAggregate = new HashMap<>();
        stored.forEach(e -> byAggregate.computeIfAbsent(e.aggregateId(), id -> new ArrayList<>()).add(e));
        Map<String, Document> documents = new HashMap<>();
        database.getCollection(collection).find().forEach(d -> documents.put(d.getString("_id"), d));
        long applies = 0;
        long duplicates = 0;
        long order = 0;
        boolean exact = documents.size() == byAggregate.size();
        for (Map.Entry<String, List<Event>> entry : byAggregate.entrySet()) {
            List<Event> events = entry.getValue();
            events.sort((a, b) -> Long.compare(a.version(), b.version()));
            Document document = documents.get(entry.getKey());
            if (document == null) {
                exact = false;
                continue;
            }
            ApplyLogAudit audit = ApplyLogAudit.of(document);
            applies += audit.applies();
            duplicates += audit.duplicates();
            order += audit.orderViolations();
            Map<String, Object> expected = HealthcareDomain.fold(events);
            Document state = document.get(MongoReadModelWriter.STATE, Document.class);
            boolean versionMatches = ((Number) document.get(MongoReadModelWriter.VERSION)).longValue()
                == events.get(events.size() - 1).version();
            boolean stateMatches = expected == null
                ? state == null && Boolean.TRUE.equals(document.getBoolean(MongoReadModelWriter.DELETED))
                : state != null && new Document(expected).equals(state);
            exact &= versionMatches && stateMatches;
        }
        return new ReadModelVerdict(applies, duplicates, order, exact, byAggregate.size());
    }

    /** What the transport holds of these aggregate types: the topics on Kafka, the stream on NATS. */
    public static TopicVerdict transported(Transport transport, Set<String> aggregateTypes) {
        if (transport instanceof NatsTransport nats) {
            return stream(nats.settings());
        }
        KafkaSettings kafka = ((KafkaTransport) transport).settings();
        return topics(kafka, aggregateTypes.stream().sorted().map(kafka.topicNaming()::topicFor).toList());
    }

    /**
     * The stream's contents as {@link TopicVerdict}: every message of the aggregates' subjects, in stream order (an
     * aggregate lives in one subject). {@code records - distinctEvents} are messages stored more than once.
     */
    public static TopicVerdict stream(NatsSettings nats) {
        Connection connection = NatsConnections.open(nats, "ferry-verifier");
        try {
            EventJsonDecoder decoder = new EventJsonDecoder();
            Tally tally = new Tally();
            for (StreamContents.StoredMessage message : StreamContents.read(connection, nats.stream())) {
                if (nats.subjects().parse(message.subject()).isPresent()) {
                    tally.add(decoder.decode(message.value()));
                }
            }
            return tally.verdict();
        } finally {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Records seen in order per aggregate: how many, which events, how many beyond the next version. */
    private static final class Tally {
        private final Map<String, Long> highest = new HashMap<>();
        private final Set<String> ids = new HashSet<>();
        private long records;
        private long order;

        void add(Event event) {
            records++;
            ids.add(event.eventId());
            String aggregate = event.aggregateType() + "/" + event.aggregateId();
            long max = highest.getOrDefault(aggregate, 0L);
            if (event.version() > max + 1) {
                order++;
            }
            highest.put(aggregate, Math.max(max, event.version()));
        }

        TopicVerdict verdict() {
            return new TopicVerdict(records, ids.size(), order);
        }
    }

    public static TopicVerdict topics(KafkaSettings kafka, List<String> topics) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
        // As Ferry's consumers read, and as the exactly-once mode asks every reader to: without transactions this is
        // what read_uncommitted reads too; with them, dead leaders' aborted records are not duplicates anyone sees.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        EventJsonDecoder decoder = new EventJsonDecoder();
        Tally tally = new Tally();
        try (KafkaConsumer<String, byte[]> consumer =
                 new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : topics) {
                consumer.partitionsFor(topic, Duration.ofSeconds(10))
                    .forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
            }
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())
                && System.nanoTime() < deadline) {
                // Poll returns each partition's records in order, and an aggregate lives in one partition.
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    tally.add(decoder.decode(record.value()));
                }
            }
            List<String> unread = new ArrayList<>();
            end.forEach((partition, endOffset) -> {
                long position = consumer.position(partition);
                if (position < endOffset) {
                    unread.add(partition + " read to offset " + position + " of " + endOffset + " ("
                        + (endOffset - position) + " records not read)");
                }
            });
            if (!unread.isEmpty()) {
                // A verdict over part of the topics could show no violation only because it did not read them.
                throw new IncompleteRead("the topics were not read to their end within " + READ_TIMEOUT.toSeconds()
                    + " s: " + String.join("; ", unread));
            }
        }
        return tally.verdict();
    }

    /** A verifier's read that did not get everything it had to: its verdict would be over part of the data. */
    public static final class IncompleteRead extends IllegalStateException {
        public IncompleteRead(String message) {
            super(message);
        }
    }
}
