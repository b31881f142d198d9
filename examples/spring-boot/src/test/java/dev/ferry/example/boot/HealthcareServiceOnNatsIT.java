package dev.ferry.example.boot;

import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import dev.ferry.embedded.nats.NatsServerProcess;

/** The Spring Boot service through the starter on NATS JetStream (nats-server, stopped and restarted). */
class HealthcareServiceOnNatsIT extends HealthcareServiceContract {

    private static NatsServerProcess nats;

    @BeforeAll
    static void startNats() {
        nats = NatsServerProcess.start();
    }

    @AfterAll
    static void stopNats() {
        if (nats != null) {
            nats.close();
        }
    }

    @Override
    List<String> transportArguments(String run) {
        return List.of("--ferry.transport=nats", "--ferry.nats.servers=" + nats.url(), "--ferry.nats.stream=" + run,
            "--ferry.nats.partitions=4");
    }

    @Override
    void stopBroker() {
        nats.stop();
    }

    @Override
    void startBroker() {
        nats.restart();
    }
}
