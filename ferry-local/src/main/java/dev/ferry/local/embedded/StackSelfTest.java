package dev.ferry.local.embedded;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.bson.Document;
import org.bson.RawBsonDocument;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoCollection;
import com.mongodb.client.model.changestream.ChangeStreamDocument;

import dev.ferry.core.relay.spi.StartPosition;
import dev.ferry.mongodb.changestream.ChangeStreamTail;

/**
 * Proves the embedded stack is a working pipeline: inserts documents into MongoDB, tails them from the change
 * stream, produces them to a Kafka topic (idempotent, acks=all), consumes them back and checks that every one
 * arrived once and in order. Run by {@code ferry embedded --self-test} (docs/demo.md).
 */
final class StackSelfTest {

    private static final String TOPIC = "self-test";

    private final String mongoUri;
    private final String bootstrapServers;
    private final int events;
    private final PrintStream out;

    StackSelfTest(String mongoUri, String bootstrapServers, int events, PrintStream out) {
        this.mongoUri = mongoUri;
        this.bootstrapServers = bootstrapServers;
        this.events = events;
        this.out = out;
    }

    boolean run() throws Exception {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers))) {
            admin.createTopics(Set.of(new NewTopic(TOPIC, 3, (short) 1))).all().get();
        }
        try (MongoClient client = MongoClients.create(mongoUri);
             KafkaProducer<String, String> producer = producer()) {
            MongoCollection<Document> collection = client.getDatabase("ferry_self_test").getCollection("events");
            MongoCollection<RawBsonDocument> raw =
                client.getDatabase("ferry_self_test").getCollection("events", RawBsonDocument.class);
            long started = System.nanoTime();
            try (ChangeStreamTail tail = ChangeStreamTail.open(raw, List.of(), new StartPosition.Now(),
                ChangeStreamTail.Settings.DEFAULT)) {
                insert(collection);
                relay(tail, producer);
            }
            long relayed = System.nanoTime();
            List<Integer> received = consume();
            long consumed = System.nanoTime();

            boolean inOrder = isAscending(received);
            out.printf("inserted into MongoDB:        %d%n", events);
            out.printf("relayed to Kafka:             %d in %d ms%n", events, (relayed - started) / 1_000_000);
            out.printf("consumed back from Kafka:     %d in %d ms%n", received.size(), (consumed - relayed) / 1_000_000);
            out.printf("every document exactly once:  %s%n", received.size() == events ? "yes" : "NO");
            out.printf("in insertion order:           %s%n", inOrder ? "yes" : "NO");
            return received.size() == events && inOrder;
        }
    }

    private void insert(MongoCollection<Document> collection) {
        List<Document> batch = new ArrayList<>();
        for (int i = 0; i < events; i++) {
            batch.add(new Document("seq", i));
            if (batch.size() == 500 || i == events - 1) {
                collection.insertMany(batch);
                batch = new ArrayList<>();
            }
        }
    }

    private void relay(ChangeStreamTail tail, KafkaProducer<String, String> producer) throws Exception {
        List<Future<RecordMetadata>> sends = new ArrayList<>();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (sends.size() < events && System.nanoTime() < deadline) {
            for (ChangeStreamDocument<RawBsonDocument> change : tail.poll()) {
                int seq = change.getFullDocument().getInt32("seq").getValue();
                // One key: a single partition keeps the whole run in order, so order can be checked end to end.
                sends.add(producer.send(new ProducerRecord<>(TOPIC, "self-test", String.valueOf(seq))));
            }
        }
        for (Future<RecordMetadata> send : sends) {
            send.get();
        }
    }

    private List<Integer> consume() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "ferry-self-test");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<Integer> received = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer =
                 new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(TOPIC));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (received.size() < events && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    received.add(Integer.parseInt(record.value()));
                }
            }
        }
        return received;
    }

    private KafkaProducer<String, String> producer() {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    private static boolean isAscending(List<Integer> values) {
        for (int i = 0; i < values.size(); i++) {
            if (values.get(i) != i) {
                return false;
            }
        }
        return true;
    }
}
