package dev.ferry.it.projector;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.mongodb.client.MongoClient;
import com.mongodb.client.MongoClients;
import com.mongodb.client.MongoDatabase;

import dev.ferry.core.partition.TopicNaming;
import dev.ferry.core.projection.Projection;
import dev.ferry.engine.ProcessorSettings;
import dev.ferry.it.support.Pipeline;
import dev.ferry.it.support.TestProjections;
import dev.ferry.kafka.projector.ProjectorRuntime;
import dev.ferry.kafka.publish.KafkaSettings;
import dev.ferry.mongodb.parking.MongoParkedEvents;
import dev.ferry.mongodb.readmodel.MongoReadModelWriter;

/**
 * A projector instance of {@link TestProjections#counter} in a JVM of its own, wired as {@link Pipeline} wires one,
 * so that a test can kill it as an operating system would (SIGKILL): nothing it queued to its writer thread lands
 * afterwards, unlike an in-process kill. It exits when its parent closes its standard input (or dies).
 */
final class ProjectorProcess {

    private static final String STARTED = "projector process started";
    /** SIGKILL cannot be caught: the kernel reaps the process in milliseconds; 30 s covers a loaded machine's swap. */
    private static final Duration EXIT_BOUND = Duration.ofSeconds(30);

    private final String instanceId;
    private final Process process;
    private final Path log;

    private ProjectorProcess(String instanceId, Process process, Path log) {
        this.instanceId = instanceId;
        this.process = process;
        this.log = log;
    }

    /** Starts a projector process in the pipeline's consumer group and waits until it has started its consumer. */
    static ProjectorProcess start(Pipeline pipeline, String mongoUri, String databaseName, Projection projection,
                                  String instanceId, Path logs) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
            "-Xmx256m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
            ProjectorProcess.class.getName(), mongoUri, databaseName, pipeline.kafka().bootstrapServers(),
            pipeline.topicPrefix(), projection.name(), instanceId));
        Path log = logs.resolve(instanceId + ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ProjectorProcess started = new ProjectorProcess(instanceId, process, log);
        started.awaitStarted(Duration.ofSeconds(90)); // a JVM start on a loaded 2-core machine
        return started;
    }

    private void awaitStarted(Duration atMost) throws IOException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!Files.readString(log, StandardCharsets.UTF_8).contains(STARTED)) {
            if (!process.isAlive() || System.nanoTime() > deadline) {
                String output = Files.readString(log, StandardCharsets.UTF_8);
                kill();
                throw new IllegalStateException("projector process " + instanceId + " did not start: "
                    + output.substring(Math.max(0, output.length() - 3_000)));
            }
            try {
                process.waitFor(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    String instanceId() {
        return instanceId;
    }

    /** Its Kafka client id: how the consumer group names it. */
    String clientId(Projection projection) {
        return projection.name() + "-" + instanceId;
    }

    /** SIGKILL, and waits until the process is gone; fails if it is not gone within {@link #EXIT_BOUND}. */
    void kill() {
        process.destroyForcibly(); // SIGKILL on Linux
        try {
            if (!process.waitFor(EXIT_BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("projector process " + instanceId + " (pid " + process.pid()
                    + ") still running " + EXIT_BOUND + " after SIGKILL");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted waiting for projector process " + instanceId + " to exit", e);
        }
    }

    public static void main(String[] args) throws Exception {
        String mongoUri = args[0];
        String databaseName = args[1];
        String bootstrap = args[2];
        String topicPrefix = args[3];
        Projection projection = TestProjections.counter(args[4]);
        String instanceId = args[5];
        KafkaSettings kafka = KafkaSettings.local(bootstrap)
            .withTopics(new TopicNaming(topicPrefix), topicPrefix + "dead-letter");
        MongoClient client = MongoClients.create(mongoUri);
        MongoDatabase database = client.getDatabase(databaseName);
        ProjectorRuntime projector = new ProjectorRuntime(projection, new MongoReadModelWriter(database, false),
            new MongoParkedEvents(database), ProcessorSettings.DEFAULT, kafka, instanceId);
        projector.start();
        System.out.println(STARTED);
        System.out.flush();
        // An orphan must not outlive the test: its parent's end closes this pipe.
        while (System.in.read() >= 0) {
            // nothing is sent
        }
        Runtime.getRuntime().halt(0);
    }
}
