package dev.ferry.app.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.ferry.app.FerryCommand;
import dev.ferry.embedded.mongo.EmbeddedMongo;

/**
 * Bad configuration and unreachable backends end a command with one clear line and a distinct exit status; an
 * unreachable backend only once {@code startupTimeout} has passed.
 */
@Timeout(120)
class CommandLineErrorsIT {

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    private static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = FerryCommand.execute(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(exit, out.toString(), err.toString());
    }

    @Test
    void aMissingConfigFileIsOneLineAndExitStatus2() {
        Result result = run("relay", "--config", "/nonexistent/ferry.yml");

        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err().lines()).containsExactly("ferry: cannot read config file /nonexistent/ferry.yml: no such file");
    }

    @Test
    void aBadSettingIsOneLineAndExitStatus2() throws IOException {
        Path config = dir.resolve("ferry.yml");
        Files.writeString(config, "mongodb:\n  uri: mongodb://localhost:1\nkafka:\n  bootstrapServers: nohostport\n");

        Result result = run("project", "--config", config.toString());

        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.err().lines()).containsExactly("ferry: kafka.bootstrapServers: expected host:port[,host:port…], "
            + "got 'nohostport'");
    }

    @Test
    void replicateWithoutTargetsOrWithAnUnknownTargetIsOneLineAndExitStatus2() throws IOException {
        Path config = dir.resolve("ferry.yml");
        Files.writeString(config, "mongodb:\n  uri: mongodb://localhost:1\nkafka:\n  bootstrapServers: localhost:1\n");

        Result none = run("replicate", "--config", config.toString());

        assertThat(none.exit()).isEqualTo(2);
        assertThat(none.err().lines()).containsExactly("ferry: targets is missing: expected the replicas to keep, e.g. "
            + "[{kind: mongodb, name: replica, database: replica, entities: [patient]}]");

        Files.writeString(config, "mongodb:\n  uri: mongodb://localhost:1\nkafka:\n  bootstrapServers: localhost:1\n"
            + "sources: [{kind: entities, collection: patients, entity: patient}]\n"
            + "targets: [{kind: mongodb, name: replica, database: replica, entities: [patient]}]\n");
        Result unknown = run("replicate", "--config", config.toString(), "--target", "elsewhere");

        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err().lines()).containsExactly("ferry: --target: no target named 'elsewhere'; targets: "
            + "[replica]");
    }

    /** A short wait, and the admin server on a free port: a long-running command starts it before waiting. */
    private static final String WAIT_BRIEFLY = "startupTimeout: 1s\nadmin:\n  bind: 127.0.0.1\n  port: 0\n";

    @Test
    void anUnreachableMongoDbIsOneLineAndExitStatus3() throws IOException {
        Path config = dir.resolve("ferry.yml");
        Files.writeString(config, "mongodb:\n  uri: mongodb://127.0.0.1:" + closedPort()
            + "\nkafka:\n  bootstrapServers: 127.0.0.1:" + closedPort() + "\n" + WAIT_BRIEFLY);

        Result result = run("relay", "--config", config.toString());

        assertThat(result.exit()).isEqualTo(3);
        assertThat(result.err().lines()).singleElement().asString().startsWith("ferry: cannot reach MongoDB at [127.0.0.1:");
    }

    @Test
    void aKafkaThatNeverAnswersIsWaitedForUntilStartupTimeoutThenOneLineAndExitStatus3() throws IOException {
        try (EmbeddedMongo mongo = EmbeddedMongo.start()) {
            Path config = dir.resolve("ferry.yml");
            int kafkaPort = closedPort();
            Files.writeString(config, "mongodb:\n  uri: " + mongo.connectionString()
                + "\nkafka:\n  bootstrapServers: 127.0.0.1:" + kafkaPort + "\n"
                + WAIT_BRIEFLY.replace("1s", "3s"));
            long started = System.nanoTime();

            Result result = run("relay", "--config", config.toString());

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofSeconds(3));
            assertThat(result.exit()).isEqualTo(3);
            assertThat(result.err().lines()).singleElement().asString()
                .startsWith("ferry: cannot reach Kafka at 127.0.0.1:" + kafkaPort + " within 3 s: ");
        }
    }

    @Test
    void anUnreachableNatsIsOneLineAndExitStatus3() throws IOException {
        try (EmbeddedMongo mongo = EmbeddedMongo.start()) {
            Path config = dir.resolve("ferry.yml");
            int natsPort = closedPort();
            Files.writeString(config, "mongodb:\n  uri: " + mongo.connectionString()
                + "\ntransport: nats\nnats:\n  servers: nats://127.0.0.1:" + natsPort
                + "\nprojector:\n  aggregateTypes: [patient]\n" + WAIT_BRIEFLY);

            Result result = run("project", "--config", config.toString());

            assertThat(result.exit()).isEqualTo(3);
            assertThat(result.err().lines()).singleElement().asString()
                .startsWith("ferry: cannot reach NATS JetStream at nats://127.0.0.1:" + natsPort);
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
