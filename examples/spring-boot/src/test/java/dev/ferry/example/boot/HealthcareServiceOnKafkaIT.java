package dev.ferry.example.boot;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.ferry.embedded.kafka.EmbeddedKafka;

/** The Spring Boot service through the starter on Kafka (a KRaft broker in-process, stopped and restarted). */
class HealthcareServiceOnKafkaIT extends HealthcareServiceContract {

    private static EmbeddedKafka kafka;

    @BeforeAll
    static void startKafka() {
        kafka = EmbeddedKafka.start();
    }

    @AfterAll
    static void stopKafka() {
        if (kafka != null) {
            kafka.close();
        }
    }

    @Override
    List<String> transportArguments(String run) {
        return List.of("--ferry.transport=kafka", "--ferry.kafka.bootstrap-servers=" + kafka.bootstrapServers(),
            "--ferry.kafka.topic-prefix=" + run + ".", "--ferry.kafka.partitions=4",
            "--ferry.kafka.replication-factor=1");
    }

    @Override
    void stopBroker() {
        kafka.stop();
    }

    @Override
    void startBroker() {
        kafka.restart();
    }
}
