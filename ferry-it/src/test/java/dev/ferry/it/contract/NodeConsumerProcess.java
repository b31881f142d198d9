package dev.ferry.it.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.bson.BsonDocument;

import dev.ferry.it.support.NodeProject;

/**
 * One instance of a Node read model on Ferry's Kafka topics ({@code node test/it/kafka-consume.mjs} in clients/node,
 * the client's {@code FerryKafkaConsumer}) or on its NATS stream ({@code test/it/nats-consume.mjs},
 * {@code FerryNatsConsumer}), folding {@code AppendLoad}-shaped events ({@code {n}} payloads) into a MongoDB
 * collection; its stdout (one JSON line per decision of the version guard, and per change of ownership on NATS) in a
 * file. A record's offset is its Kafka offset, or its stream sequence on NATS.
 */
final class NodeConsumerProcess implements AutoCloseable {

    private final String instance;
    private final Process process;
    private final Path stdout;
    private final Path stderr;

    private NodeConsumerProcess(String instance, Process process, Path stdout, Path stderr) {
        this.instance = instance;
        this.process = process;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Starts an instance in consumer group {@code group} reading Kafka's {@code topic} into {@code database.collection}.
     *
     * @param node the {@code node} that {@link NodeProject#node} found
     */
    static NodeConsumerProcess onKafka(String node, String instance, String brokers, String topic, String group,
                                       String mongoUri, String database, String collection) throws IOException {
        return start(node, instance, List.of("test/it/kafka-consume.mjs", brokers, topic, group, mongoUri, database,
            collection, instance));
    }

    /**
     * Starts an instance of {@code group} reading {@code type}'s subjects of NATS {@code stream} into
     * {@code database.collection}, its partition leases in {@code database.ferry_leases}.
     */
    static NodeConsumerProcess onNats(String node, String instance, String natsUrl, String stream, String type,
                                      String group, String mongoUri, String database, String collection)
        throws IOException {
        return start(node, instance, List.of("test/it/nats-consume.mjs", natsUrl, stream, type, group, mongoUri,
            database, collection, instance));
    }

    private static NodeConsumerProcess start(String node, String instance, List<String> scriptAndArguments)
        throws IOException {
        Path stdout = Files.createTempFile("node-consumer-" + instance, ".out");
        Path stderr = Files.createTempFile("node-consumer-" + instance, ".err");
        stdout.toFile().deleteOnExit();
        stderr.toFile().deleteOnExit();
        List<String> command = new ArrayList<>();
        command.add(node);
        command.addAll(scriptAndArguments);
        Process process = new ProcessBuilder(command).directory(NodeProject.CLIENT.directory().toFile())
            .redirectOutput(stdout.toFile()).redirectError(stderr.toFile()).start();
        return new NodeConsumerProcess(instance, process, stdout, stderr);
    }

    String instance() {
        return instance;
    }

    /** One decision of the guard, as the script logged it. */
    record Decision(String instance, String decision, String key, long version, int partition, long offset) {

        TopicPartition topicPartition(String topic) {
            return new TopicPartition(topic, partition);
        }

        /** The record's place in the topic: the same when it is delivered again. */
        String position() {
            return partition + "@" + offset;
        }
    }

    /** Decisions logged so far (whole lines only: a process killed mid-line leaves a fragment). */
    List<Decision> decisions() {
        List<Decision> decisions = new ArrayList<>();
        for (BsonDocument json : lines()) {
            if (json.containsKey("decision") && json.isString("key") && json.isNumber("version")) {
                decisions.add(new Decision(instance, json.getString("decision").getValue(),
                    json.getString("key").getValue(), json.get("version").asNumber().longValue(),
                    json.get("partition").asNumber().intValue(),
                    Long.parseLong(json.getString("offset").getValue())));
            }
        }
        return decisions;
    }

    /** A partition this NATS instance gained: at which lease epoch, and the stream sequence it started after. */
    record Gain(String instance, String partition, long epoch, long floor) {
    }

    /** Every partition this NATS instance logged as gained, in order. */
    List<Gain> gains() {
        List<Gain> gains = new ArrayList<>();
        for (BsonDocument json : lines()) {
            if (json.isString("event") && json.getString("event").getValue().equals("gained")) {
                gains.add(new Gain(instance, json.getString("partition").getValue(),
                    json.get("epoch").asNumber().longValue(), json.get("floor").asNumber().longValue()));
            }
        }
        return gains;
    }

    /** The partitions ({@code <type>-<n>}) this NATS instance logged as gained and not revoked or lost since. */
    List<String> ownedPartitions() {
        List<String> owned = new ArrayList<>();
        for (BsonDocument json : lines()) {
            String event = json.isString("event") ? json.getString("event").getValue() : "";
            if (event.equals("gained")) {
                owned.add(json.getString("partition").getValue());
            } else if (event.equals("revoked") || event.equals("lost")) {
                owned.remove(json.getString("partition").getValue());
            }
        }
        return owned;
    }

    /** Whole lines of stdout, as JSON. */
    private List<BsonDocument> lines() {
        List<BsonDocument> lines = new ArrayList<>();
        String text = read(stdout);
        int end = text.lastIndexOf('\n');
        for (String line : text.substring(0, end + 1).split("\n")) {
            if (!line.isBlank()) {
                lines.add(BsonDocument.parse(line));
            }
        }
        return lines;
    }

    /** How many decisions of the kind this instance logged; fails at once, with what it wrote, if it died. */
    long runningAndCount(String decision) {
        running();
        return decisions().stream().filter(d -> d.decision().equals(decision)).count();
    }

    /** True, or a failure with what the process wrote if it died. */
    boolean running() {
        if (!process.isAlive()) {
            fail("node consumer " + instance + " exited (" + process.exitValue() + "): " + read(stderr));
        }
        return true;
    }

    /** SIGKILL: no commit, no leaving the group; its partitions move after the session timeout. */
    void kill() {
        if (process.isAlive()) {
            process.destroyForcibly();
        }
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** SIGTERM: the consumer finishes the record at hand, commits and leaves; then the signal ends the process. */
    void stopAndWait() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("node consumer " + instance + " did not stop within 20 s of a SIGTERM: " + read(stderr));
        }
        assertThat(process.exitValue()).as("ended by its SIGTERM after a clean stop; it wrote: " + read(stderr))
            .isEqualTo(128 + 15);
    }

    /** Kills the process if it still runs (a test that failed half-way). */
    @Override
    public void close() {
        kill();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
