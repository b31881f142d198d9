package dev.ferry.embedded.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The embedded broker is a real Kafka: explicit topics, idempotent produce, consume, restart on the same port. */
@Timeout(120)
class EmbeddedKafkaIT {

    @Test
    void producesAndConsumesThroughARealBroker() throws Exception {
        long started = System.nanoTime();
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            System.out.printf("embedded Kafka started in %d ms%n", (System.nanoTime() - started) / 1_000_000);
            createTopic(kafka, "patients");
            send(kafka, "patients", 100, 0);

            assertThat(consumeAll(kafka, "patients", 100)).hasSize(100);
        }
    }

    @Test
    void keepsRecordsAcrossARestartOnTheSamePort() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
            String bootstrap = kafka.bootstrapServers();
            createTopic(kafka, "orders");
            send(kafka, "orders", 50, 0);

            kafka.stop();
            assertThat(kafka.isRunning()).isFalse();
            kafka.restart();

            assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
            send(kafka, "orders", 50, 50);
            List<String> values = consumeAll(kafka, "orders", 100);
            assertThat(values).hasSize(100).contains("value-0", "value-99");
        }
    }

    @Test
    void doesNotAutoCreateTopics() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start();
             Admin admin = admin(kafka);
             KafkaConsumer<String, String> consumer = consumer(kafka)) {
            consumer.partitionsFor("never-created", Duration.ofSeconds(2));
            assertThat(admin.listTopics().names().get()).doesNotContain("never-created");
        }
    }

    private static void createTopic(EmbeddedKafka kafka, String topic) throws Exception {
        try (Admin admin = admin(kafka)) {
            admin.createTopics(Set.of(new NewTopic(topic, 3, (short) 1))).all().get();
        }
    }

    private static Admin admin(EmbeddedKafka kafka) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()));
    }

    private static void send(EmbeddedKafka kafka, String topic, int count, int firstIndex) throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        try (KafkaProducer<String, String> producer =
                 new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            for (int i = firstIndex; i < firstIndex + count; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + (i % 7), "value-" + i)).get();
            }
        }
    }

    private static KafkaConsumer<String, String> consumer(EmbeddedKafka kafka) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "embedded-kafka-it");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    private static List<String> consumeAll(EmbeddedKafka kafka, String topic, int expected) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = consumer(kafka)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
